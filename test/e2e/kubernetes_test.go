package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/vishvananda/netlink"
	corev1 "k8s.io/api/core/v1"

	"github.com/slipway/slipway/internal/artifacts"
	"github.com/slipway/slipway/internal/artifacts/images"
	"github.com/slipway/slipway/internal/provider/local/network/netns"
)

// kubeVersion is the Kubernetes release the cluster tests run. It must be
// in the host's artifacts cache (`slipway artifacts build --kube-tag
// v1.37.2`): a test never builds it.
const kubeVersion = "v1.37.2"

// needKubernetes skips the test without root or without kubeVersion in
// the artifacts cache, and returns the version's manifest.
func needKubernetes(t *testing.T) *artifacts.Manifest {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the local provider needs root")
	}
	cache, err := artifacts.New(artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := cache.Lookup(kubeVersion)
	if errors.Is(err, artifacts.ErrNotCached) {
		t.Skipf("Kubernetes %s is not in the artifacts cache (slipway artifacts build --kube-tag %s): %v", kubeVersion, kubeVersion, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// await polls check until it reports done, and fails the test with the
// last state it described after timeout. It logs how long it waited.
func (h *host) await(what string, timeout time.Duration, check func() (done bool, state string)) {
	h.t.Helper()
	start := time.Now()
	for {
		done, state := check()
		if done {
			h.t.Logf("%s after %s", what, time.Since(start).Round(100*time.Millisecond))
			return
		}
		if time.Since(start) > timeout {
			h.t.Fatalf("not %s after %s: %s", what, timeout, state)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// cluster returns the cluster as the container-infra API shows it, or nil
// once it is gone.
func (h *host) cluster(ident string) map[string]any {
	h.t.Helper()
	c := h.magnum(http.MethodGet, "/clusters/"+ident, nil)
	switch c["status_code"] {
	case http.StatusOK:
		return c
	case http.StatusNotFound:
		return nil
	}
	h.t.Fatalf("GET cluster %s: %v", ident, c)
	return nil
}

// awaitCluster polls the cluster until its status is want. Any other
// final status fails the test with the cluster's status_reason.
func (h *host) awaitCluster(ident, want string, timeout time.Duration) map[string]any {
	h.t.Helper()
	var c map[string]any
	h.await("cluster "+ident+" "+want, timeout, func() (bool, string) {
		c = h.cluster(ident)
		if c == nil {
			h.t.Fatalf("cluster %s is gone, want %s", ident, want)
		}
		status, _ := c["status"].(string)
		final := strings.HasSuffix(status, "_FAILED") || strings.HasSuffix(status, "_COMPLETE")
		if final && status != want {
			h.t.Fatalf("cluster %s is %s, want %s: %v", ident, status, want, c["status_reason"])
		}
		return status == want, fmt.Sprintf("%s: %v", status, c["status_reason"])
	})
	return c
}

// awaitHealth polls the cluster until the conductor's monitor records
// want, with reasons that also accepts.
func (h *host) awaitHealth(ident, want string, timeout time.Duration, also func(reasons map[string]any) bool) {
	h.t.Helper()
	h.await("cluster "+ident+" "+want, timeout, func() (bool, string) {
		c := h.cluster(ident)
		reasons, _ := c["health_status_reason"].(map[string]any)
		return c["health_status"] == want && also(reasons), fmt.Sprintf("%v %v", c["health_status"], reasons)
	})
}

// kubernetesTemplate creates the cluster template name for Kubernetes tag:
// the local image and flavor, the public network, a floating IP for the API.
func (h *host) kubernetesTemplate(name, tag string) {
	h.t.Helper()
	h.openstack("coe", "cluster", "template", "create", name, "--coe", "kubernetes", "--image", "slipway-node",
		"--flavor", "m1.small", "--master-flavor", "m1.small", "--external-network", "public",
		"--labels", "kube_tag="+tag, "--floating-ip-enabled")
}

// awaitGone waits until the cluster is deleted; a DELETE_FAILED fails the
// test at once, with its reason.
func (h *host) awaitGone(ident string, timeout time.Duration) {
	h.t.Helper()
	h.await("cluster "+ident+" gone", timeout, func() (bool, string) {
		c := h.cluster(ident)
		if c == nil {
			return true, ""
		}
		if c["status"] == "DELETE_FAILED" {
			h.t.Fatalf("delete of %s failed: %v", ident, c["status_reason"])
		}
		return false, fmt.Sprintf("%v: %v", c["status"], c["status_reason"])
	})
}

// kubectl runs the cached kubectl with one kubeconfig; failures fail h's
// current test.
type kubectl struct {
	h      *host
	bin    string
	config string
}

// run runs kubectl with stdin and returns what it printed.
func (k *kubectl) run(stdin string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(k.h.t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, k.bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+k.config)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// must runs kubectl and fails the test if it fails.
func (k *kubectl) must(args ...string) string {
	k.h.t.Helper()
	out, errOut, err := k.run("", args...)
	if err != nil {
		k.h.t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// apply applies a manifest.
func (k *kubectl) apply(manifest string) {
	k.h.t.Helper()
	if out, errOut, err := k.run(manifest, "apply", "-f", "-"); err != nil {
		k.h.t.Fatalf("kubectl apply: %v\n%s%s\n%s", err, out, errOut, manifest)
	}
}

// readyNodes names the nodes, and says which are not Ready.
func readyNodes(nodes []corev1.Node) (names []string, notReady []string) {
	for _, n := range nodes {
		names = append(names, n.Name)
		ready := false
		for _, c := range n.Status.Conditions {
			ready = ready || c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue
		}
		if !ready {
			notReady = append(notReady, n.Name)
		}
	}
	slices.Sort(names)
	return names, notReady
}

// awaitNodes waits until the cluster's nodes are exactly want, all Ready;
// kubectl may fail meanwhile (an API server starting).
func (k *kubectl) awaitNodes(want []string, timeout time.Duration) []corev1.Node {
	k.h.t.Helper()
	slices.Sort(want)
	var nodes []corev1.Node
	k.h.await(fmt.Sprintf("nodes %v Ready", want), timeout, func() (bool, string) {
		out, errOut, err := k.run("", "get", "nodes", "-o", "json")
		if err != nil {
			return false, errOut
		}
		nodes = decode[corev1.NodeList](k.h.t, out).Items
		names, notReady := readyNodes(nodes)
		return slices.Equal(names, want) && len(notReady) == 0, fmt.Sprintf("nodes %v, not Ready %v", names, notReady)
	})
	return nodes
}

// webPods returns the web Deployment's pods that are not being deleted.
func (k *kubectl) webPods() []corev1.Pod {
	k.h.t.Helper()
	out, errOut, err := k.run("", "get", "pods", "-l", "app=web", "-o", "json")
	if err != nil {
		k.h.t.Logf("kubectl get pods: %v: %s", err, errOut)
		return nil
	}
	var pods []corev1.Pod
	for _, p := range decode[corev1.PodList](k.h.t, out).Items {
		if p.DeletionTimestamp == nil {
			pods = append(pods, p)
		}
	}
	return pods
}

// podReady reports whether a pod runs with every container ready.
func podReady(p corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning || len(p.Status.ContainerStatuses) == 0 {
		return false
	}
	for _, c := range p.Status.ContainerStatuses {
		if !c.Ready {
			return false
		}
	}
	return true
}

// awaitWeb waits until the web Deployment has its two pods Running and
// ready, and placed as placed wants; it returns them.
func (k *kubectl) awaitWeb(timeout time.Duration, placed func(pods []corev1.Pod) bool) []corev1.Pod {
	k.h.t.Helper()
	var pods []corev1.Pod
	k.h.await("web pods Running", timeout, func() (bool, string) {
		pods = k.webPods()
		var state []string
		ready := 0
		for _, p := range pods {
			state = append(state, fmt.Sprintf("%s on %s: %s ready=%v", p.Name, p.Spec.NodeName, p.Status.Phase, podReady(p)))
			if podReady(p) {
				ready++
			}
		}
		return len(pods) == 2 && ready == 2 && placed(pods), strings.Join(state, "; ")
	})
	return pods
}

// podNames returns the pods' names, sorted.
func podNames(pods []corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	slices.Sort(out)
	return out
}

// exec runs the web binary in a pod: the test's client inside the cluster.
func (k *kubectl) exec(pod string, args ...string) (string, error) {
	out, errOut, err := k.run("", append([]string{"exec", pod, "--", "/web"}, args...)...)
	if err != nil {
		return out, fmt.Errorf("%w: %s", err, strings.TrimSpace(errOut))
	}
	return out, nil
}

// webImage builds testdata/web static and pushes it to the host's
// registry as library/e2e-web:1, which every node pulls as e2e-web:1.
func (h *host) webImage() {
	h.t.Helper()
	bin := filepath.Join(h.t.TempDir(), "web")
	build := exec.CommandContext(h.t.Context(), "go", "build", "-trimpath", "-o", bin, "./testdata/web")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		h.t.Fatalf("build testdata/web: %v\n%s", err, out)
	}
	img, err := images.Build(images.Config{Entrypoint: []string{"/web"}},
		[]images.File{{Path: "web", Mode: 0o755, Source: bin}})
	if err != nil {
		h.t.Fatal(err)
	}
	ref, err := name.ParseReference(strings.TrimPrefix(h.serve.url, "http://")+"/library/e2e-web:1", name.Insecure)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithContext(h.t.Context()),
		remote.WithAuth(&authn.Basic{Username: "admin", Password: "e2e-admin-password"})); err != nil {
		h.t.Fatalf("push %s: %v", ref, err)
	}
}

// clusterServers returns the servers of a cluster's stack by name, from
// the stack's nested resources and `slipway server show`.
func (h *host) clusterServers(stackID string) map[string]string {
	h.t.Helper()
	rows := decode[[]map[string]any](h.t, h.openstack("stack", "resource", "list", "--nested-depth", "3", "-f", "json", stackID))
	out := map[string]string{}
	for _, r := range rows {
		if r["resource_type"] != "OS::Nova::Server" {
			continue
		}
		id, _ := r["physical_resource_id"].(string)
		srv := decode[map[string]any](h.t, h.slipway("server", "show", id, "-o", "json"))
		name, _ := srv["name"].(string)
		out[name] = id
	}
	return out
}

// machinePIDs returns the host PIDs of a machine's processes whose
// command is comm: those in the PID namespace of the machine's agent.
func (h *host) machinePIDs(serverID, comm string) []int {
	h.t.Helper()
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", h.initPID(serverID)))
	if err != nil {
		h.t.Fatalf("the agent of %s: %v", serverID, err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		h.t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		c, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(c)) != comm {
			continue
		}
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err == nil && l == ns {
			pids = append(pids, pid)
		}
	}
	return pids
}

// addresses returns a list of IP addresses of a cluster's field; anything
// else in it fails the test.
func addresses(t *testing.T, c map[string]any, field string) []string {
	t.Helper()
	list, ok := c[field].([]any)
	if !ok {
		t.Fatalf("%s is %v, not a list", field, c[field])
	}
	var out []string
	for _, a := range list {
		s, _ := a.(string)
		if _, err := netip.ParseAddr(s); err != nil {
			t.Fatalf("%s holds %v, not an IP address", field, a)
		}
		out = append(out, s)
	}
	return out
}

// publicLink returns the host's interface on the provider's public
// network, the one the host routes addr through, and checks that addr is
// a private address: test traffic to it never leaves the host.
func publicLink(t *testing.T, addr string) netlink.Link {
	t.Helper()
	ip, err := netip.ParseAddr(addr)
	if err != nil || !ip.IsPrivate() {
		t.Fatalf("%q is not a private address of this host", addr)
	}
	routes, err := netlink.RouteGet(net.IP(ip.AsSlice()))
	if err != nil || len(routes) == 0 {
		t.Fatalf("route to %s: %v", addr, err)
	}
	link, err := netlink.LinkByIndex(routes[0].LinkIndex)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link.Attrs().Name, "slw") {
		t.Fatalf("the host routes %s through %s, not the provider's public network", addr, link.Attrs().Name)
	}
	return link
}

// webManifest is the workload: two replicas of the web image spread over
// the nodes that take pods, a ClusterIP Service and a LoadBalancer
// Service in front of them.
const webManifest = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 5
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: kubernetes.io/hostname
        whenUnsatisfiable: DoNotSchedule
        nodeTaintsPolicy: Honor
        labelSelector:
          matchLabels: {app: web}
      containers:
      - name: web
        image: e2e-web:1
        ports:
        - containerPort: 8080
        readinessProbe:
          httpGet: {path: /, port: 8080}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
`

const webLBManifest = `
apiVersion: v1
kind: Service
metadata:
  name: web-lb
spec:
  type: LoadBalancer
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
`

// TestKubernetesCluster drives a real Kubernetes cluster through the
// stock openstack CLI and kubectl: a cluster of one master and two
// workers completes with its Magnum fields filled in; its kubeconfig
// reaches Ready nodes of the cached version (the master a tainted one); a
// Deployment of an image the
// test pushed to Slipway's registry runs on both workers, reachable
// through a ClusterIP Service by name (CoreDNS) and pod to pod; CoreDNS
// forwards nowhere and nothing leaves the host; a LoadBalancer Service
// answers the host from both pods; the cluster grows to three workers and
// shrinks to one, removing exactly the nodes named (one by node name, one
// by server id) with the pods moved; the health monitor reports HEALTHY,
// notices a killed API server and sees it come back; after a simulated
// host reboot the cluster, its pods and its load balancer come back and
// the same kubeconfig works; the delete leaves the host as it was.
func TestKubernetesCluster(t *testing.T) {
	m := needKubernetes(t)
	bin, err := m.Binary("kubectl")
	if err != nil {
		t.Fatal(err)
	}
	h := newHost(t)
	h.start()
	beforeCluster, err := snapshot(t.Context(), h.dir)
	if err != nil {
		t.Fatal(err)
	}
	k := &kubectl{h: h, bin: bin, config: filepath.Join(t.TempDir(), "config")}

	// step runs one check as a subtest; the rest depend on it.
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		ok := t.Run(name, func(st *testing.T) {
			h.t = st
			defer func() { h.t = t }()
			f(st)
		})
		if !ok {
			t.FailNow()
		}
	}

	var (
		prefix, stackID, masterID, apiIP string
		nodeIPs                          []string
		pods                             []corev1.Pod
		lbURL                            string
		created                          time.Time
	)
	step("create", func(t *testing.T) {
		h.kubernetesTemplate("k8s", kubeVersion)
		h.openstack("coe", "cluster", "create", "c1", "--cluster-template", "k8s", "--master-count", "1", "--node-count", "2")
		h.awaitCluster("c1", "CREATE_COMPLETE", 10*time.Minute)
		created = time.Now()

		c := decode[map[string]any](t, h.openstack("coe", "cluster", "show", "c1", "-f", "json"))
		uuid, _ := c["uuid"].(string)
		prefix = "c1-" + strings.ReplaceAll(uuid, "-", "")[:5]
		api, _ := c["api_address"].(string)
		host, port, err := net.SplitHostPort(strings.TrimPrefix(api, "https://"))
		if !strings.HasPrefix(api, "https://") || err != nil || port != "6443" {
			t.Fatalf("api_address %q, want https://<floating IP>:6443", api)
		}
		publicLink(t, host)
		apiIP = host
		if c["coe_version"] != kubeVersion || c["container_version"] != strings.TrimPrefix(m.Release.Containerd, "v") {
			t.Errorf("coe_version %v, container_version %v; want %s and containerd %s",
				c["coe_version"], c["container_version"], kubeVersion, m.Release.Containerd)
		}
		nodeIPs = addresses(t, c, "node_addresses")
		if masters := addresses(t, c, "master_addresses"); len(nodeIPs) != 2 || len(masters) != 1 {
			t.Errorf("node_addresses %v, master_addresses %v; want 2 and 1", nodeIPs, masters)
		}
		if c["node_count"] != float64(2) || c["master_count"] != float64(1) {
			t.Errorf("node_count %v, master_count %v", c["node_count"], c["master_count"])
		}
		stackID, _ = c["stack_id"].(string)
		if stackID == "" {
			t.Fatal("the cluster has no stack_id")
		}
		st := decode[map[string]any](t, h.openstack("stack", "show", stackID, "-f", "json"))
		if st["id"] != stackID || !strings.HasSuffix(fmt.Sprint(st["stack_status"]), "_COMPLETE") {
			t.Errorf("stack %s: %v %v", stackID, st["id"], st["stack_status"])
		}
		servers := h.clusterServers(stackID)
		masterID = servers[prefix+"-master-0"]
		if len(servers) != 3 || masterID == "" || servers[prefix+"-node-0"] == "" || servers[prefix+"-node-1"] == "" {
			t.Fatalf("the stack's servers are %v, want %s-master-0, -node-0 and -node-1", servers, prefix)
		}
	})

	step("no key at rest in the clear", func(t *testing.T) {
		// Nodes' keys reach them through sealed secrets: neither the
		// database (stacks, resources, parameters) nor a machine's
		// user_data on the host's disk holds one.
		files, _ := filepath.Glob(filepath.Join(h.dir, "slipway.db*"))
		more, _ := filepath.Glob(filepath.Join(h.dir, "provider", "machines", "*", "user-data"))
		if len(files) == 0 || len(more) != 3 {
			t.Fatalf("database files %v, user-data files %v", files, more)
		}
		for _, f := range append(files, more...) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte("PRIVATE KEY")) {
				t.Errorf("%s holds a private key in the clear", f)
			}
		}
	})

	step("kubeconfig", func(t *testing.T) {
		h.openstack("coe", "cluster", "config", "c1", "--dir", filepath.Dir(k.config))
		// The master registers too, tainted so that it runs no workload.
		nodes := k.awaitNodes([]string{prefix + "-master-0", prefix + "-node-0", prefix + "-node-1"}, time.Minute)
		servers := h.clusterServers(stackID)
		var ips []string
		for _, n := range nodes {
			if v := n.Status.NodeInfo.KubeletVersion; v != kubeVersion {
				t.Errorf("node %s runs %s, want %s", n.Name, v, kubeVersion)
			}
			// The cloud controller has initialized every node from its
			// server.
			if want := "slipway:///" + servers[n.Name]; n.Spec.ProviderID != want || servers[n.Name] == "" {
				t.Errorf("node %s has provider id %q, want %q (its server)", n.Name, n.Spec.ProviderID, want)
			}
			if got := n.Labels[corev1.LabelInstanceTypeStable]; got != "m1.small" {
				t.Errorf("node %s has instance type %q, want its flavor m1.small", n.Name, got)
			}
			if slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool { return strings.Contains(t.Key, "uninitialized") }) {
				t.Errorf("node %s is still uninitialized: %v", n.Name, n.Spec.Taints)
			}
			if n.Name == prefix+"-master-0" {
				if !slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool {
					return t.Key == "node-role.kubernetes.io/control-plane" && t.Effect == corev1.TaintEffectNoSchedule
				}) {
					t.Errorf("the master's node has taints %v, want control-plane:NoSchedule", n.Spec.Taints)
				}
				continue
			}
			for _, a := range n.Status.Addresses {
				if a.Type == corev1.NodeInternalIP {
					ips = append(ips, a.Address)
				}
			}
		}
		slices.Sort(ips)
		slices.Sort(nodeIPs)
		if !slices.Equal(ips, nodeIPs) {
			t.Errorf("the nodes' InternalIPs are %v, the cluster's node_addresses %v", ips, nodeIPs)
		}
	})

	step("workload", func(t *testing.T) {
		h.webImage()
		k.apply(webManifest)
		pods = k.awaitWeb(3*time.Minute, func(pods []corev1.Pod) bool {
			return pods[0].Spec.NodeName != pods[1].Spec.NodeName && !strings.Contains(pods[0].Spec.NodeName, "-master-") &&
				!strings.Contains(pods[1].Spec.NodeName, "-master-")
		})
	})

	step("cluster IP service", func(t *testing.T) {
		a, b := pods[0], pods[1]
		svcIP := strings.TrimSpace(k.must("get", "service", "web", "-o", "jsonpath={.spec.clusterIP}"))
		// The cluster is complete once its nodes are Ready; CoreDNS may
		// still be starting then.
		h.await("web.default.svc.cluster.local resolves", time.Minute, func() (bool, string) {
			out, err := k.exec(a.Name, "lookup", "web.default.svc.cluster.local.")
			if err == nil && strings.TrimSpace(out) != svcIP {
				t.Fatalf("web.default.svc.cluster.local is %q, want the ClusterIP %s", out, svcIP)
			}
			return err == nil, fmt.Sprint(err)
		})
		t.Logf("cluster DNS answers %s after CREATE_COMPLETE", time.Since(created).Round(100*time.Millisecond))
		out, err := k.exec(a.Name, "get", "http://"+net.JoinHostPort(b.Status.PodIP, "8080")+"/")
		if err != nil || strings.TrimSpace(out) != b.Name {
			t.Fatalf("%s to %s on the other node: %q %v", a.Name, b.Name, out, err)
		}
		// The short name goes through the pod's search path and CoreDNS.
		h.await("both pods answer http://web/", time.Minute, func() (bool, string) {
			out, err := k.exec(a.Name, "get", "-n", "16", "http://web/")
			if err != nil {
				return false, err.Error()
			}
			seen := map[string]int{}
			for _, l := range strings.Fields(out) {
				if !slices.Contains(podNames(pods), l) {
					t.Fatalf("http://web/ answered %q, not a web pod", l)
				}
				seen[l]++
			}
			return len(seen) == 2, fmt.Sprint(seen)
		})
	})

	step("DNS forwards nowhere", func(t *testing.T) {
		corefile := k.must("get", "configmap", "coredns", "-n", "kube-system", "-o", "jsonpath={.data.Corefile}")
		if strings.Contains(corefile, "forward") || !strings.Contains(corefile, "kubernetes") {
			t.Fatalf("the Corefile forwards, or serves no cluster names:\n%s", corefile)
		}
		out, err := k.exec(pods[0].Name, "lookup", "example.com.")
		if err == nil {
			t.Fatalf("example.com resolved to %q inside the cluster", out)
		}
		if strings.Contains(err.Error(), "timeout") {
			t.Fatalf("looking up example.com timed out instead of failing at CoreDNS: %v", err)
		}
		t.Logf("example.com from a pod: %v", err)
	})

	step("nothing leaves the host", func(t *testing.T) {
		// Nodes pull only from Slipway: every registry host containerd
		// knows is Slipway's address on the public network.
		link := publicLink(t, apiIP)
		addrs, err := netlink.AddrList(link, netlink.FAMILY_V4)
		if err != nil || len(addrs) == 0 {
			t.Fatalf("addresses of %s: %v", link.Attrs().Name, err)
		}
		slipwayIP := addrs[0].IP.String()
		servers := h.clusterServers(stackID)
		urlRE := regexp.MustCompile(`https?://[^"/\]]+`)
		for _, node := range []string{prefix + "-master-0", prefix + "-node-0", prefix + "-node-1"} {
			root := fmt.Sprintf("/proc/%d/root", h.initPID(servers[node]))
			for _, registry := range []string{"docker.io", "registry.k8s.io"} {
				b, err := os.ReadFile(filepath.Join(root, "etc/containerd/certs.d", registry, "hosts.toml"))
				if err != nil {
					t.Fatalf("%s: %v", node, err)
				}
				urls := urlRE.FindAllString(string(b), -1)
				for _, u := range urls {
					if host, _, _ := net.SplitHostPort(strings.SplitN(u, "://", 2)[1]); host != slipwayIP {
						t.Errorf("%s's %s hosts.toml names %s, not Slipway at %s:\n%s", node, registry, u, slipwayIP, b)
					}
				}
				if len(urls) == 0 {
					t.Errorf("%s's %s hosts.toml names no mirror:\n%s", node, registry, b)
				}
			}
		}
		// Routers have no default route: with egress off a packet for
		// anywhere else dies in the router.
		nsPrefix := link.Attrs().Name + "-"
		names, err := netns.List(nsPrefix)
		if err != nil {
			t.Fatal(err)
		}
		routers := 0
		for _, ns := range names {
			if !strings.HasPrefix(ns, nsPrefix+"rtr-") {
				continue
			}
			routers++
			err := netns.Do(netns.Path(ns), func() error {
				routes, err := netlink.RouteList(nil, netlink.FAMILY_ALL)
				if err != nil {
					return err
				}
				for _, r := range routes {
					if r.Dst == nil {
						return fmt.Errorf("router namespace %s has a default route: %v", ns, r)
					}
					if ones, _ := r.Dst.Mask.Size(); ones == 0 {
						return fmt.Errorf("router namespace %s has a default route: %v", ns, r)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if routers == 0 {
			t.Fatalf("no router namespace among %v", names)
		}
		// So a request to an outside address (TEST-NET-1) from a pod fails.
		if out, err := k.exec(pods[0].Name, "get", "-timeout", "3s", "http://192.0.2.1/"); err == nil {
			t.Fatalf("a pod reached 192.0.2.1: %q", out)
		} else {
			t.Logf("192.0.2.1 from a pod: %v", err)
		}
	})

	step("load balancer", func(t *testing.T) {
		k.apply(webLBManifest)
		var ip string
		h.await("web-lb has an address", 2*time.Minute, func() (bool, string) {
			ip = strings.TrimSpace(k.must("get", "service", "web-lb", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"))
			return ip != "", "no ingress IP"
		})
		publicLink(t, ip)
		lbURL = "http://" + ip + "/"
		h.awaitHostnames(lbURL, podNames(pods), time.Minute)
	})

	step("resize up", func(t *testing.T) {
		h.openstack("coe", "cluster", "resize", "c1", "3")
		h.awaitCluster("c1", "UPDATE_COMPLETE", 5*time.Minute)
		k.awaitNodes([]string{prefix + "-master-0", prefix + "-node-0", prefix + "-node-1", prefix + "-node-2"}, time.Minute)
		c := decode[map[string]any](t, h.openstack("coe", "cluster", "show", "c1", "-f", "json"))
		if c["node_count"] != float64(3) || len(addresses(t, c, "node_addresses")) != 3 {
			t.Fatalf("node_count %v, node_addresses %v; want 3", c["node_count"], c["node_addresses"])
		}
	})

	step("resize down", func(t *testing.T) {
		servers := h.clusterServers(stackID)
		byID := servers[prefix+"-node-1"]
		h.openstack("coe", "cluster", "resize", "c1", "1",
			"--nodes-to-remove", prefix+"-node-0", "--nodes-to-remove", byID)
		h.awaitCluster("c1", "UPDATE_COMPLETE", 5*time.Minute)
		keep := prefix + "-node-2"
		k.awaitNodes([]string{prefix + "-master-0", keep}, time.Minute)
		pods = k.awaitWeb(3*time.Minute, func(pods []corev1.Pod) bool {
			return pods[0].Spec.NodeName == keep && pods[1].Spec.NodeName == keep
		})
		c := decode[map[string]any](t, h.openstack("coe", "cluster", "show", "c1", "-f", "json"))
		if c["node_count"] != float64(1) || len(addresses(t, c, "node_addresses")) != 1 {
			t.Fatalf("node_count %v, node_addresses %v; want 1", c["node_count"], c["node_addresses"])
		}
		left := h.clusterServers(stackID)
		if _, ok := left[keep]; !ok || len(left) != 2 {
			t.Fatalf("servers after the resize: %v, want the master and %s", left, keep)
		}
		for _, id := range []string{servers[prefix+"-node-0"], byID} {
			if _, err := os.Stat(filepath.Join(h.dir, "provider", "machines", id)); err == nil {
				t.Errorf("the removed server %s's machine is still there", id)
			}
		}
		h.awaitHostnames(lbURL, podNames(pods), time.Minute)
		warnings := k.must("get", "events", "--field-selector", "involvedObject.name=web-lb,type=Warning",
			"-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}")
		if strings.TrimSpace(warnings) != "" {
			t.Errorf("the cloud controller warned about web-lb:\n%s", warnings)
		}
	})

	step("nodegroup", func(t *testing.T) {
		h.openstack("coe", "nodegroup", "create", "c1", "extra", "--node-count", "1")
		h.awaitCluster("c1", "UPDATE_COMPLETE", 5*time.Minute)
		k.awaitNodes([]string{prefix + "-master-0", prefix + "-node-2", prefix + "-extra-0"}, time.Minute)
		h.openstack("coe", "nodegroup", "delete", "c1", "extra")
		h.awaitCluster("c1", "UPDATE_COMPLETE", 5*time.Minute)
		// The group's node is drained and its Node object deleted, so the
		// cluster stays healthy.
		k.awaitNodes([]string{prefix + "-master-0", prefix + "-node-2"}, time.Minute)
		if _, ok := h.clusterServers(stackID)[prefix+"-extra-0"]; ok {
			t.Error("the deleted nodegroup's server is still in the stack")
		}
	})

	step("health", func(t *testing.T) {
		// The reasons name the API, cluster DNS and the nodes there are now.
		h.awaitHealth("c1", "HEALTHY", time.Minute, func(r map[string]any) bool {
			return r["api"] == "ok" && r["dns"] == "ok" && r[prefix+"-master-0.Ready"] == "True" &&
				r[prefix+"-node-2.Ready"] == "True" && len(r) == 4
		})
	})

	step("API server killed", func(t *testing.T) {
		// The agent restarts the API server at once; keep killing it
		// until the monitor, every 10 s, sees it down.
		killed := 0
		var reasons map[string]any
		h.await("cluster c1 UNHEALTHY", 2*time.Minute, func() (bool, string) {
			for _, pid := range h.machinePIDs(masterID, "kube-apiserver") {
				if syscall.Kill(pid, syscall.SIGKILL) == nil {
					killed++
				}
			}
			c := h.cluster("c1")
			reasons, _ = c["health_status_reason"].(map[string]any)
			return c["health_status"] == "UNHEALTHY", fmt.Sprintf("%v %v", c["health_status"], reasons)
		})
		if killed == 0 {
			t.Fatal("no kube-apiserver ran on the master")
		}
		if api, _ := reasons["api"].(string); api == "" || api == "ok" {
			t.Fatalf("UNHEALTHY with reasons %v, want the API's failure under \"api\"", reasons)
		}
		t.Logf("killed kube-apiserver %d times; reasons %v", killed, reasons)
		h.awaitHealth("c1", "HEALTHY", 3*time.Minute, func(r map[string]any) bool { return r["api"] == "ok" })
		if len(h.machinePIDs(masterID, "kube-apiserver")) != 1 {
			t.Fatal("the master does not run one kube-apiserver")
		}
	})

	var rebooted time.Time
	step("host reboot", func(t *testing.T) {
		h.stop()
		rebooted = time.Now().Truncate(time.Second)
		h.simulateReboot()
	})
	h.start() // here, so that its log is shown if a later step fails
	step("after the reboot", func(t *testing.T) {
		// The kubeconfig from before reaches the API, and through it the
		// kubelet, which restarts the pods.
		node := prefix + "-node-2"
		k.awaitNodes([]string{prefix + "-master-0", node}, 5*time.Minute)
		h.await("the kubelet of "+node+" answers", 5*time.Minute, func() (bool, string) {
			out, errOut, err := k.run("", "get", "--raw", "/api/v1/nodes/"+node+"/proxy/healthz")
			return err == nil && out == "ok", out + errOut
		})
		pods = k.awaitWeb(3*time.Minute, func(pods []corev1.Pod) bool {
			for _, p := range pods {
				for _, c := range p.Status.ContainerStatuses {
					if c.State.Running == nil || c.State.Running.StartedAt.Time.Before(rebooted) {
						return false
					}
				}
			}
			return true
		})
		h.awaitHostnames(lbURL, podNames(pods), 2*time.Minute)
	})

	step("delete", func(t *testing.T) {
		h.openstack("coe", "cluster", "delete", "c1")
		h.awaitGone("c1", 5*time.Minute)
		if stacks := decode[[]any](t, h.openstack("stack", "list", "-f", "json")); len(stacks) != 0 {
			t.Fatalf("stacks left after the cluster's delete: %v", stacks)
		}
		h.checkLeaks(beforeCluster, "after the cluster's delete")
	})
}

// TestKubernetesUnknownVersionFails asks for a Kubernetes release that
// does not exist: the cluster fails with a status_reason naming it, and
// its delete leaves nothing behind.
func TestKubernetesUnknownVersionFails(t *testing.T) {
	h := newHost(t)
	h.start()
	before, err := snapshot(t.Context(), h.dir)
	if err != nil {
		t.Fatal(err)
	}
	h.kubernetesTemplate("k8s-next", "v1.99.0")
	h.openstack("coe", "cluster", "create", "next", "--cluster-template", "k8s-next", "--master-count", "1", "--node-count", "1")
	c := h.awaitCluster("next", "CREATE_FAILED", 5*time.Minute)
	if reason, _ := c["status_reason"].(string); !strings.Contains(reason, "v1.99.0") {
		t.Fatalf("status_reason %q does not name v1.99.0", reason)
	}
	t.Logf("status_reason: %v", c["status_reason"])
	h.openstack("coe", "cluster", "delete", "next")
	h.awaitGone("next", 2*time.Minute)
	h.checkLeaks(before, "after the failed cluster's delete")
}

// TestKubernetesCrashResumes kills Slipway (SIGKILL) while a cluster is
// being created and again while it is being deleted: after each restart
// the operation finishes, with exactly the machines the cluster should
// have, and nothing is left at the end.
func TestKubernetesCrashResumes(t *testing.T) {
	needKubernetes(t)
	h := newHost(t)
	h.start()
	before, err := snapshot(t.Context(), h.dir)
	if err != nil {
		t.Fatal(err)
	}
	h.kubernetesTemplate("k8s", kubeVersion)
	h.openstack("coe", "cluster", "create", "c1", "--cluster-template", "k8s", "--master-count", "1", "--node-count", "2")
	h.await("the cluster's machines booting", 2*time.Minute, func() (bool, string) {
		c := h.cluster("c1")
		reason, _ := c["status_reason"].(string)
		return strings.HasPrefix(reason, "booting"), reason
	})
	h.crash()
	h.start()
	c := h.awaitCluster("c1", "CREATE_COMPLETE", 5*time.Minute)
	stackID, _ := c["stack_id"].(string)
	if servers := h.clusterServers(stackID); len(servers) != 3 {
		t.Fatalf("servers after the resumed create: %v, want 3", servers)
	}
	machines, err := os.ReadDir(filepath.Join(h.dir, "provider", "machines"))
	if err != nil || len(machines) != 3 {
		t.Fatalf("%d machines on the host after the resumed create (%v), want 3", len(machines), err)
	}
	h.awaitHealth("c1", "HEALTHY", 2*time.Minute, func(map[string]any) bool { return true })

	h.openstack("coe", "cluster", "delete", "c1")
	h.await("the delete under way", time.Minute, func() (bool, string) {
		c := h.cluster("c1")
		return c == nil || c["status"] == "DELETE_IN_PROGRESS", fmt.Sprint(c["status"])
	})
	h.crash()
	h.start()
	h.awaitGone("c1", 2*time.Minute)
	h.checkLeaks(before, "after the delete a crash interrupted")
}

// TestKubernetesBadLabelIsRejected creates a template whose kube_tag is
// not a release: the CLI fails with a 400 that names the label, and no
// template is made.
func TestKubernetesBadLabelIsRejected(t *testing.T) {
	h := newHost(t)
	h.start()
	stdout, stderr, err := h.run("openstack", "coe", "cluster", "template", "create", "k8s-latest", "--coe", "kubernetes",
		"--image", "slipway-node", "--external-network", "public", "--labels", "kube_tag=latest")
	if err == nil || !strings.Contains(stderr, "400") || !strings.Contains(stderr, "kube_tag") {
		t.Fatalf("template create with kube_tag=latest: %v\nstdout: %s\nstderr: %s", err, stdout, stderr)
	}
	t.Logf("the CLI says: %s", strings.TrimSpace(stderr))
	if list := decode[[]any](t, h.openstack("coe", "cluster", "template", "list", "-f", "json")); len(list) != 0 {
		t.Fatalf("templates after the rejected create: %v", list)
	}
}

// upgradeFrom is the version TestKubernetesUpgrade starts at: the minor
// before kubeVersion, built by `make test` too.
const upgradeFrom = "v1.36.3"

// TestKubernetesUpgrade upgrades a running 1+2 cluster through the stock
// CLI from upgradeFrom to kubeVersion, one worker at a time: the same
// servers come back with every node Ready at the new version and
// schedulable, the API server reports it, the cluster's template, labels
// and coe_version follow, the web pods run again and the LoadBalancer
// answers from them; a downgrade is refused with a 400 that says so; the
// delete leaves the host as it was.
func TestKubernetesUpgrade(t *testing.T) {
	m := needKubernetes(t)
	bin, err := m.Binary("kubectl")
	if err != nil {
		t.Fatal(err)
	}
	cache, err := artifacts.New(artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cache.Lookup(upgradeFrom); errors.Is(err, artifacts.ErrNotCached) {
		t.Skipf("Kubernetes %s is not in the artifacts cache (slipway artifacts build --kube-tag %s)", upgradeFrom, upgradeFrom)
	}
	h := newHost(t)
	h.start()
	before, err := snapshot(t.Context(), h.dir)
	if err != nil {
		t.Fatal(err)
	}
	k := &kubectl{h: h, bin: bin, config: filepath.Join(t.TempDir(), "config")}
	for name, tag := range map[string]string{"k8s-old": upgradeFrom, "k8s-new": kubeVersion} {
		h.kubernetesTemplate(name, tag)
	}
	newTemplate := decode[map[string]any](t, h.openstack("coe", "cluster", "template", "show", "k8s-new", "-f", "json"))["uuid"]
	h.openstack("coe", "cluster", "create", "c1", "--cluster-template", "k8s-old", "--master-count", "1", "--node-count", "2")
	c := h.awaitCluster("c1", "CREATE_COMPLETE", 10*time.Minute)
	stackID, _ := c["stack_id"].(string)
	serversBefore := h.clusterServers(stackID)
	h.openstack("coe", "cluster", "config", "c1", "--dir", filepath.Dir(k.config))
	h.webImage()
	k.apply(webManifest)
	k.apply(webLBManifest)
	pods := k.awaitWeb(3*time.Minute, func([]corev1.Pod) bool { return true })
	var lbIP string
	h.await("web-lb has an address", 2*time.Minute, func() (bool, string) {
		lbIP = strings.TrimSpace(k.must("get", "service", "web-lb", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"))
		return lbIP != "", "no ingress IP"
	})
	h.awaitHostnames("http://"+lbIP+"/", podNames(pods), time.Minute)

	h.openstack("coe", "cluster", "upgrade", "c1", "k8s-new", "--max-batch-size", "1")
	c = h.awaitCluster("c1", "UPDATE_COMPLETE", 10*time.Minute)
	labels, _ := c["labels"].(map[string]any)
	if c["coe_version"] != kubeVersion || c["cluster_template_id"] != newTemplate || labels["kube_tag"] != kubeVersion {
		t.Errorf("after the upgrade: coe_version %v, template %v, kube_tag %v; want %s, %v, %s",
			c["coe_version"], c["cluster_template_id"], labels["kube_tag"], kubeVersion, newTemplate, kubeVersion)
	}
	// In place: the same servers, each rebooted onto the new version.
	if after := h.clusterServers(stackID); !maps.Equal(after, serversBefore) {
		t.Errorf("servers after the upgrade %v, before %v: an upgrade must not replace them", after, serversBefore)
	}
	nodes := k.awaitNodes(slices.Sorted(maps.Keys(serversBefore)), time.Minute)
	for _, n := range nodes {
		if v := n.Status.NodeInfo.KubeletVersion; v != kubeVersion || n.Spec.Unschedulable {
			t.Errorf("node %s runs %s, unschedulable %v; want %s and schedulable", n.Name, v, n.Spec.Unschedulable, kubeVersion)
		}
	}
	var version struct {
		ServerVersion struct{ GitVersion string } `json:"serverVersion"`
	}
	if err := json.Unmarshal([]byte(k.must("version", "-o", "json")), &version); err != nil || version.ServerVersion.GitVersion != kubeVersion {
		t.Errorf("the API server reports %q (%v), want %s", version.ServerVersion.GitVersion, err, kubeVersion)
	}
	pods = k.awaitWeb(3*time.Minute, func([]corev1.Pod) bool { return true })
	h.awaitHostnames("http://"+lbIP+"/", podNames(pods), time.Minute)

	stdout, stderr, err := h.run("openstack", "coe", "cluster", "upgrade", "c1", "k8s-old")
	if err == nil || !strings.Contains(stderr, "400") || !strings.Contains(stderr, "downgrading") {
		t.Errorf("a downgrade: %v\nstdout: %s\nstderr: %s; want a 400 that says downgrading is not supported", err, stdout, stderr)
	}
	if c := h.cluster("c1"); c["status"] != "UPDATE_COMPLETE" {
		t.Errorf("after the refused downgrade the cluster is %v", c["status"])
	}

	h.openstack("coe", "cluster", "delete", "c1")
	h.awaitGone("c1", 2*time.Minute)
	h.checkLeaks(before, "after deleting the upgraded cluster")
}
