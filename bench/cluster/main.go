// Command cluster measures what a user of the kubernetes driver waits for,
// on the local provider, through the real `slipway serve` binary and its
// Magnum API:
//
//   - create: from the cluster create call to CREATE_COMPLETE, which the
//     driver reports only once every node is Ready;
//   - first pod: from the same create call to a busybox pod Running, the
//     pod created as soon as the cluster is complete;
//   - DNS: from the same create call to the kube-dns Service having a ready
//     CoreDNS endpoint;
//   - resize +1: from the resize call to UPDATE_COMPLETE (the new node
//     Ready);
//   - delete: from the delete call to the cluster being gone;
//   - memory: PSS and RSS of every machine's processes (the machine's
//     cgroup subtree, containers included), after the pod runs;
//   - capacity: how many such clusters this host's available memory holds,
//     from the measured PSS of one.
//
// It needs root, a built slipway binary and the Kubernetes version in the
// artifacts cache. It prints one line per run and the medians:
//
//	go build -o bin/slipway ./cmd/slipway
//	go run ./bench/cluster -slipway bin/slipway -runs 3
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/slipway/slipway/bench/internal/measure"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
	"github.com/slipway/slipway/pkg/client"
)

type options struct {
	slipway string
	runs    int
	kubeTag string
	workers int
	flavor  string
	settle  time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.slipway, "slipway", "bin/slipway", "the slipway binary to serve with")
	flag.IntVar(&o.runs, "runs", 3, "clusters created, measured and deleted one after another")
	flag.StringVar(&o.kubeTag, "kube-tag", "v1.37.2", "Kubernetes version (must be in the artifacts cache)")
	flag.IntVar(&o.workers, "workers", 2, "workers per cluster (one master)")
	flag.StringVar(&o.flavor, "flavor", "m1.small", "flavor of every node")
	flag.DurationVar(&o.settle, "settle", 5*time.Second, "idle time before memory is measured")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/cluster:", err)
		os.Exit(1)
	}
}

// result is one run's figures.
type result struct {
	create, firstPod, dns, resize, delete time.Duration
	controlPlane                          mem
	workers                               []mem
	total                                 mem
}

// mem is memory in MiB.
type mem struct{ pss, rss float64 }

func run(ctx context.Context, o options, out io.Writer) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root (the local provider)")
	}
	bin, err := filepath.Abs(o.slipway)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "slipway-bench-cluster-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := serve(ctx, bin, dir)
	if err != nil {
		return err
	}
	defer srv.stop()
	c, err := client.New(ctx, &client.Config{AuthURL: srv.url + "/identity/v3", Username: "admin", Password: "bench-secret",
		ProjectName: "admin", UserDomainName: "Default", ProjectDomainName: "Default"})
	if err != nil {
		return err
	}
	tmpl := "bench-k8s"
	if _, err := c.ClusterTemplates().Create(ctx, v1.ClusterTemplateCreate{
		Name: ptr(tmpl), COE: ptr("kubernetes"), ImageID: ptr("slipway-node"), FlavorID: ptr(o.flavor), MasterFlavorID: ptr(o.flavor),
		ExternalNetworkID: ptr("public"), FloatingIPEnabled: ptr(true), Labels: map[string]string{"kube_tag": o.kubeTag},
	}); err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	fmt.Fprintf(out, "kubernetes %s, 1 master + %d workers (%s), %d runs, slipway %s\n", o.kubeTag, o.workers, o.flavor, o.runs, bin)
	var results []result
	for i := range o.runs {
		r, err := once(ctx, o, c, srv, dir, fmt.Sprintf("bench-%d", i))
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		results = append(results, r)
		fmt.Fprintf(out, "run %d: create %s, first pod %s, DNS %s, resize +1 %s, delete %s; PSS control plane %.0f MiB, workers %s MiB, total %.0f MiB (RSS %.0f)\n",
			i+1, measure.Ms(r.create), measure.Ms(r.firstPod), measure.Ms(r.dns), measure.Ms(r.resize), measure.Ms(r.delete),
			r.controlPlane.pss, workersPSS(r.workers), r.total.pss, r.total.rss)
	}
	pick := func(f func(result) time.Duration) []time.Duration {
		var ds []time.Duration
		for _, r := range results {
			ds = append(ds, f(r))
		}
		return ds
	}
	fmt.Fprintf(out, "create to CREATE_COMPLETE (all nodes Ready): %s\n", measure.Summary(pick(func(r result) time.Duration { return r.create })))
	fmt.Fprintf(out, "create to first pod Running:                 %s\n", measure.Summary(pick(func(r result) time.Duration { return r.firstPod })))
	fmt.Fprintf(out, "create to cluster DNS serving:               %s\n", measure.Summary(pick(func(r result) time.Duration { return r.dns })))
	fmt.Fprintf(out, "resize +1 to UPDATE_COMPLETE (node Ready):   %s\n", measure.Summary(pick(func(r result) time.Duration { return r.resize })))
	fmt.Fprintf(out, "delete to gone:                              %s\n", measure.Summary(pick(func(r result) time.Duration { return r.delete })))
	var cp, total []float64
	for _, r := range results {
		cp = append(cp, r.controlPlane.pss)
		total = append(total, r.total.pss)
	}
	fmt.Fprintf(out, "PSS control plane: %s MiB; whole cluster: %s MiB\n", measure.Figures(cp), measure.Figures(total))
	if avail := measure.MemAvailable(); avail > 0 {
		med := measure.Median(total)
		fmt.Fprintf(out, "capacity: %.0f MiB available now / %.0f MiB per cluster = %d clusters of 1+%d on this host\n",
			avail, med, int(avail/med), o.workers)
	}
	return nil
}

func workersPSS(ws []mem) string {
	var parts []string
	for _, w := range ws {
		parts = append(parts, fmt.Sprintf("%.0f", w.pss))
	}
	return strings.Join(parts, "/")
}

func ptr[T any](v T) *T { return &v }

// once creates, measures and deletes one cluster.
func once(ctx context.Context, o options, c *client.Client, srv *server, dir, name string) (result, error) {
	var r result
	t0 := time.Now()
	id, err := c.Clusters().Create(ctx, v1.ClusterCreate{Name: ptr(name), ClusterTemplateID: ptr("bench-k8s"),
		MasterCount: ptr(1), NodeCount: ptr(o.workers)})
	if err != nil {
		return r, err
	}
	if err := wait(ctx, c, id, "CREATE_COMPLETE"); err != nil {
		return r, err
	}
	r.create = time.Since(t0)

	kcDir := filepath.Join(dir, name)
	if err := os.MkdirAll(kcDir, 0o700); err != nil {
		return r, err
	}
	cmd := exec.CommandContext(ctx, srv.bin, "cluster", "config", id, "--dir", kcDir)
	cmd.Env = append(os.Environ(), "OS_CLIENT_CONFIG_FILE="+filepath.Join(dir, "clouds.yaml"), "OS_CLOUD=slipway")
	if b, err := cmd.CombinedOutput(); err != nil {
		return r, fmt.Errorf("cluster config: %w: %s", err, b)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(kcDir, "config"))
	if err != nil {
		return r, err
	}
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return r, err
	}
	// Cluster DNS is watched from CREATE_COMPLETE on, beside the pod.
	dnsAt := make(chan time.Duration, 1)
	go func() {
		for {
			l, err := kc.DiscoveryV1().EndpointSlices("kube-system").List(ctx, metav1.ListOptions{
				LabelSelector: discoveryv1.LabelServiceName + "=kube-dns"})
			if err == nil && slices.ContainsFunc(l.Items, func(s discoveryv1.EndpointSlice) bool {
				return slices.ContainsFunc(s.Endpoints, func(e discoveryv1.Endpoint) bool {
					return e.Conditions.Ready != nil && *e.Conditions.Ready
				})
			}) {
				dnsAt <- time.Since(t0)
				return
			}
			if sleep(ctx, 50*time.Millisecond) != nil {
				dnsAt <- 0
				return
			}
		}
	}()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "first"}, Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "sleep", Image: "busybox:1.35.0", Command: []string{"sleep", "3600"}}}}}
	if _, err := kc.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return r, err
	}
	for {
		p, err := kc.CoreV1().Pods("default").Get(ctx, "first", metav1.GetOptions{})
		if err == nil && p.Status.Phase == corev1.PodRunning {
			break
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return r, err
		}
	}
	r.firstPod = time.Since(t0)
	if r.dns = <-dnsAt; r.dns == 0 {
		return r, ctx.Err()
	}

	if err := sleep(ctx, o.settle); err != nil {
		return r, err
	}
	r.controlPlane, r.workers, r.total, err = clusterMemory(dir, name)
	if err != nil {
		return r, err
	}

	t1 := time.Now()
	if _, err := c.Clusters().Resize(ctx, id, v1.ResizeRequest{NodeCount: ptr(o.workers + 1)}); err != nil {
		return r, err
	}
	if err := wait(ctx, c, id, "UPDATE_COMPLETE"); err != nil {
		return r, err
	}
	r.resize = time.Since(t1)

	t2 := time.Now()
	if err := c.Clusters().Delete(ctx, id); err != nil {
		return r, err
	}
	for {
		_, err := c.Clusters().Get(ctx, id)
		if client.IsNotFound(err) {
			break
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return r, err
		}
	}
	r.delete = time.Since(t2)
	return r, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// wait polls the cluster until it reaches want; a *_FAILED status is an
// error with its reason.
func wait(ctx context.Context, c *client.Client, id, want string) error {
	for {
		cl, err := c.Clusters().Get(ctx, id)
		if err != nil {
			return err
		}
		if cl.Status == want {
			return nil
		}
		if strings.HasSuffix(cl.Status, "_FAILED") {
			return fmt.Errorf("cluster %s: %s: %s", id, cl.Status, deref(cl.StatusReason))
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// clusterMemory sums PSS and RSS over every process in each of the
// cluster's machines: the master is the control plane.
func clusterMemory(dataDir, cluster string) (cp mem, workers []mem, total mem, err error) {
	defs, err := filepath.Glob(filepath.Join(dataDir, "provider", "machines", "*", "machine.json"))
	if err != nil {
		return cp, nil, total, err
	}
	for _, def := range defs {
		var d struct {
			Spec struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"spec"`
		}
		b, err := os.ReadFile(def)
		if err != nil || json.Unmarshal(b, &d) != nil || !strings.HasPrefix(d.Spec.Name, cluster+"-") {
			continue
		}
		m := machineMemory(d.Spec.ID)
		total.pss += m.pss
		total.rss += m.rss
		if strings.Contains(d.Spec.Name, "-master-") {
			cp = m
		} else {
			workers = append(workers, m)
		}
	}
	if total.pss == 0 {
		return cp, nil, total, fmt.Errorf("no machine of cluster %s found under %s", cluster, dataDir)
	}
	return cp, workers, total, nil
}

// machineMemory is the memory of every process in a machine's cgroup
// subtree (the memory hierarchy; on cgroup v2 the unified one).
func machineMemory(id string) mem {
	var m mem
	roots, _ := filepath.Glob("/sys/fs/cgroup/memory/slipway/*/" + id)
	if len(roots) == 0 {
		roots, _ = filepath.Glob("/sys/fs/cgroup/slipway/*/" + id)
	}
	seen := map[int]bool{}
	for _, root := range roots {
		_ = filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() || e.Name() != "cgroup.procs" {
				return nil
			}
			f, err := os.Open(p)
			if err != nil {
				return nil
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				pid, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
				if err != nil || seen[pid] {
					continue
				}
				seen[pid] = true
				pss, rss := measure.Smaps(pid)
				m.pss += pss
				m.rss += rss
			}
			return nil
		})
	}
	return m
}

// server is a running `slipway serve`.
type server struct {
	bin  string
	dir  string
	url  string
	cmd  *exec.Cmd
	done chan struct{}
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	// The provider's public network outlives serve by design.
	if b, err := exec.Command(s.bin, "teardown", "--data-dir", s.dir).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "bench/cluster: teardown: %v: %s\n", err, b)
	}
}

func serve(ctx context.Context, bin, dir string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--data-dir", dir, "--listen", addr, "--admin-password", "bench-secret")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{bin: bin, dir: dir, url: "http://" + addr, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.url + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("slipway serve exited; see %s", logf.Name())
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil, errors.New("slipway serve did not come up")
}
