// Package machine runs the local provider's servers: a machine is a set of
// Linux namespaces (network, UTS, PID, mount, IPC), a root filesystem of
// its own made from the host's userland, and a cgroup subtree that carries
// the flavor's limits and finds every process at delete. Its init is
// `slipway node`, started with the server's user_data.
//
// Machines outlive the Slipway process: Manager.Adopt re-attaches them at
// start-up and removes what no machine owns, and Manager.BootAll boots
// again, from their definition and persistent disk, the machines a host
// reboot stopped. docs/design/local-machines.md describes the design.
package machine
