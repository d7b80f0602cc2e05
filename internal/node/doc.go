// Package node is `slipway node`, the agent that runs as init inside every
// machine.
//
// It has three parts:
//   - the boot stages: `slipway node launch PLAN` joins a machine's cgroups
//     and network namespace and starts `slipway node --plan PLAN` in new PID,
//     mount and UTS namespaces, which builds the machine's root and pivots
//     into it (BootPlan is the contract with the machine manager);
//   - the agent (Agent): it reads user_data as cloud images do (shell
//     scripts, a #cloud-config subset, MIME multipart as OS::Heat::MultipartMime
//     makes it, and Slipway's versioned bootstrap document), supervises
//     services with restart back-off and readiness probes, reaps every
//     orphan, keeps logs under /var/log/slipway and reports its Status in a
//     file the manager reads;
//   - Heat software deployments: RunDeployment runs one configuration with
//     its inputs as environment variables, and the agent polls a metadata
//     URL for deployments and signals their results.
//
// Nothing here is specific to Kubernetes: the Kubernetes driver describes
// etcd, the apiserver or kubelet as services of a bootstrap document.
package node
