package e2e

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
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

	"github.com/vishvananda/netlink"

	"github.com/slipway/slipway/internal/node"
	"github.com/slipway/slipway/internal/provider/local"
	"github.com/slipway/slipway/internal/provider/local/leakcheck"
	"github.com/slipway/slipway/internal/secrets"
	storesql "github.com/slipway/slipway/internal/store/sql"
)

// TestMain builds the slipway binary and its agent once, unless
// $SLIPWAY_BIN names one (hack/test.sh builds both), and hands its path to
// the tests in $SLIPWAY_BIN.
func TestMain(m *testing.M) {
	if os.Getenv("SLIPWAY_BIN") == "" && os.Geteuid() == 0 {
		dir, err := os.MkdirTemp("", "slipway-e2e-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		bin := filepath.Join(dir, "slipway")
		// The agent-only build beside it is what machines run, as with make build.
		for out, pkg := range map[string]string{bin: "./cmd/slipway", filepath.Join(dir, "slipway-node"): "./cmd/slipway-node"} {
			if b, err := exec.Command("go", "build", "-o", out, "github.com/slipway/slipway/"+strings.TrimPrefix(pkg, "./")).CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, b)
				os.Exit(1)
			}
		}
		_ = os.Setenv("SLIPWAY_BIN", bin)
		code := m.Run()
		os.RemoveAll(dir)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// needHost skips the test without root and fails it when a program the
// local provider needs is missing.
func needHost(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the local provider needs root")
	}
	for prog, pkg := range map[string]string{
		"openstack": "python3-openstackclient python3-heatclient", "haproxy": "haproxy", "busybox": "busybox-static",
		"curl": "curl", "nsenter": "util-linux", "mkfs.ext4": "e2fsprogs",
	} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Fatalf("%s is missing (apt-get install %s)", prog, pkg)
		}
	}
}

// freePort returns a TCP port of loopback that nothing listens on now. A
// test keeps its server on one port across restarts, as an operator
// does: the signal URLs machines hold stay valid.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// host is one test's Slipway: a data directory, a port, and the serve
// process running on them, if any.
type host struct {
	t    *testing.T
	dir  string
	port int
	// before is the host as it was before the first start.
	before *leakcheck.State
	serve  *serveProcess
}

// newHost takes the host-wide leak-check lock and snapshots the host. The
// test's end stops Slipway, tears down what its provider left (the public
// network, and anything a failure left), and checks the host is as it was.
func newHost(t *testing.T) *host {
	t.Helper()
	needHost(t)
	unlock, err := leakcheck.Lock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	h := &host{t: t, dir: filepath.Join(t.TempDir(), "data"), port: freePort(t)}
	if h.before, err = snapshot(t.Context(), h.dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer unlock()
		if h.serve != nil {
			h.serve.stop(t)
		}
		if err := teardown(h.dir); err != nil {
			t.Errorf("tear down the local provider: %v", err)
		}
		h.checkLeaks(h.before, "after the test")
	})
	return h
}

// snapshot records the host: namespaces, links, routes, nftables, mounts,
// loop devices, namespaced processes, cgroups and the provider's files.
func snapshot(ctx context.Context, dir string) (*leakcheck.State, error) {
	return leakcheck.Snapshot(ctx, leakcheck.NamespacedProcessesOnly(), leakcheck.FilesUnder(filepath.Join(dir, "provider")))
}

// checkLeaks fails the test unless the host comes back to before.
func (h *host) checkLeaks(before *leakcheck.State, when string) {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		after, err := snapshot(context.Background(), h.dir)
		if err != nil {
			h.t.Fatal(err)
		}
		var diff []string
		for _, d := range dropRemade(leakcheck.Diff(before, after)) {
			switch {
			case strings.Contains(d, " serve --data-dir "+h.dir+" "):
				// Slipway itself: the test restarts it.
			case strings.HasPrefix(d[2:], string(leakcheck.Processes)+" ") && !strings.Contains(d, h.dir):
				// Another package's test: every process this Slipway
				// leaves (a machine's agent, HAProxy) names its data
				// directory, and a machine's other processes die with
				// its agent.
			default:
				diff = append(diff, d)
			}
		}
		if len(diff) == 0 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Errorf("leak check %s: the host is not as it was:\n%s", when, strings.Join(diff, "\n"))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// nsInode is the inode in a namespace's entry of a leak-check diff.
var nsInode = regexp.MustCompile(`net:\[[0-9]+\]`)

// dropRemade leaves out of a diff the namespaces that are gone and back
// under the same name: a host reboot makes each one again, with a new
// inode.
func dropRemade(diff []string) []string {
	key := func(d string) string { return nsInode.ReplaceAllString(d[2:], "net:[]") }
	seen := map[string]bool{}
	for _, d := range diff {
		seen[d[:1]+key(d)] = true
	}
	var out []string
	for _, d := range diff {
		if !seen["+"+key(d)] || !seen["-"+key(d)] {
			out = append(out, d)
		}
	}
	return out
}

// teardown removes everything the local provider of a data directory made,
// as an uninstall would, with `slipway teardown`.
func teardown(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "slipway.db")); err != nil {
		return nil // Slipway never started
	}
	out, err := exec.Command(os.Getenv("SLIPWAY_BIN"), "teardown", "--data-dir", dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("slipway teardown: %w: %s", err, out)
	}
	return nil
}

// provider returns the local provider of the data directory, for the names
// it gives the host's objects. Slipway must not run.
func (h *host) provider() *local.Provider {
	h.t.Helper()
	ctx := h.t.Context()
	key, err := secrets.LoadOrCreateKey(filepath.Join(h.dir, "secret.key"))
	if err != nil {
		h.t.Fatal(err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		h.t.Fatal(err)
	}
	st, err := storesql.Open(ctx, filepath.Join(h.dir, "slipway.db"), box)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { st.Close() })
	p, err := local.New(ctx, local.Options{DataDir: h.dir, Store: local.Records(st)})
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// serveProcess is a running `slipway serve`.
type serveProcess struct {
	cmd  *exec.Cmd
	url  string
	log  string
	done chan error
}

// start starts `slipway serve` on the host's data directory and port, with
// the local provider and egress off, and waits until it is ready.
func (h *host) start() {
	t := h.t
	t.Helper()
	if h.serve != nil {
		t.Fatal("slipway serve is running already")
	}
	cmd := exec.Command(os.Getenv("SLIPWAY_BIN"), "serve", "--data-dir", h.dir,
		"--listen", "127.0.0.1:"+strconv.Itoa(h.port), "--provider", "local")
	cmd.Env = append(os.Environ(), "SLIPWAY_ADMIN_PASSWORD=e2e-admin-password")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logFile, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logFile
	p := &serveProcess{cmd: cmd, log: logFile.Name(), done: make(chan error, 1)}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			if len(b) > 12000 {
				b = b[len(b)-12000:]
			}
			t.Logf("slipway serve log (%s, tail):\n%s", p.log, b)
		}
		logFile.Close()
	})
	if err := cmd.Start(); err != nil {
		t.Fatalf("start slipway serve: %v", err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Slipway is ready at "); ok {
				ready <- u
			}
		}
		p.done <- cmd.Wait()
	}()
	select {
	case p.url = <-ready:
	case err := <-p.done:
		b, _ := os.ReadFile(p.log)
		t.Fatalf("slipway serve exited before it was ready: %v\n%s", err, b)
	case <-time.After(2 * time.Minute):
		t.Fatal("slipway serve is not ready after 2 minutes")
	}
	h.serve = p
}

// stop stops Slipway with SIGTERM, as an operator or an upgrade does.
func (p *serveProcess) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("slipway serve exited with %v", err)
		}
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		if err := <-p.done; err == nil {
			t.Log("slipway serve exited cleanly after SIGKILL")
		}
		t.Errorf("slipway serve did not stop on SIGTERM")
	}
}

// stop stops the host's Slipway.
func (h *host) stop() {
	h.t.Helper()
	h.serve.stop(h.t)
	h.serve = nil
}

// crash kills the host's Slipway with SIGKILL: no shutdown runs.
func (h *host) crash() {
	h.t.Helper()
	if err := h.serve.cmd.Process.Kill(); err != nil {
		h.t.Fatal(err)
	}
	if err := <-h.serve.done; err == nil {
		h.t.Fatal("slipway serve exited cleanly after SIGKILL")
	}
	h.serve = nil
}

// command runs a client program against the host's Slipway with its
// clouds.yaml; a failure fails the test.
func (h *host) command(prog string, args ...string) string {
	h.t.Helper()
	stdout, stderr, err := h.run(prog, args...)
	if err != nil {
		h.t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", prog, strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// run runs a client program against the host's Slipway with its
// clouds.yaml and returns what it printed, and how it failed, if it did.
func (h *host) run(prog string, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(h.t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	// `coe cluster config` reads $SHELL to choose how to print its export
	// line and fails without it, which it is under some CI runners.
	cmd.Env = append(os.Environ(), "SHELL="+cmp.Or(os.Getenv("SHELL"), "/bin/sh"),
		"OS_CLIENT_CONFIG_FILE="+filepath.Join(h.dir, "clouds.yaml"), "OS_CLOUD=slipway")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// openstack runs the stock openstack CLI.
func (h *host) openstack(args ...string) string { return h.command("openstack", args...) }

// slipway runs the slipway CLI.
func (h *host) slipway(args ...string) string { return h.command(os.Getenv("SLIPWAY_BIN"), args...) }

// decode decodes a command's JSON output.
func decode[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	if i := strings.IndexAny(out, "[{"); i > 0 {
		out = out[i:]
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
	return v
}

// stackTemplate is the template of the issue: testdata/lb/main.yaml with
// its nested member.yaml.
func stackTemplate(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("testdata/lb/main.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// createWeb creates the stack under name, waits for it to complete
// and for its floating IP to answer from its three servers, and returns the
// floating IP's URL.
func (h *host) createWeb(name string) string {
	h.t.Helper()
	h.openstack("stack", "create", "-t", stackTemplate(h.t), name)
	h.awaitStack(name, "CREATE_COMPLETE", 3*time.Minute)
	url := h.floatingURL(name)
	h.awaitHostnames(url, webNames(0, 1, 2), 30*time.Second)
	return url
}

// awaitStack polls the stack's status until it is want.
func (h *host) awaitStack(name, want string, timeout time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := h.api("GET", "/stacks/"+name, nil)
		stack, _ := st["stack"].(map[string]any)
		status, _ := stack["stack_status"].(string)
		if status == want {
			return
		}
		if strings.HasSuffix(status, "FAILED") || time.Now().After(deadline) {
			h.t.Fatalf("stack %s is %s (%v), want %s", name, status, stack["stack_status_reason"], want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// api calls the orchestration API directly, with the admin's token: for
// polling faster than the CLI starts. GET of a stack by name follows
// Heat's redirect.
func (h *host) api(method, path string, body any) map[string]any {
	h.t.Helper()
	token, project := h.token()
	return h.call(token, method, "/orchestration/v1/"+project+path, body)
}

// magnum calls the container-infra API directly, with the admin's token,
// at its latest microversion.
func (h *host) magnum(method, path string, body any) map[string]any {
	h.t.Helper()
	token, _ := h.token()
	return h.call(token, method, "/container-infra/v1"+path, body)
}

// call calls Slipway's API at path with token and returns the JSON object
// it answers, with the HTTP status under "status_code".
func (h *host) call(token, method, path string, body any) map[string]any {
	h.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(h.t.Context(), method, h.serve.url+path, r)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("OpenStack-API-Version", "container-infra latest")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			h.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
	}
	out["status_code"] = resp.StatusCode
	return out
}

// token returns a token of the admin and the admin project's id.
func (h *host) token() (string, string) {
	h.t.Helper()
	body := `{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin",
		"domain": {"name": "Default"}, "password": "e2e-admin-password"}}}, "scope": {"project": {"name": "admin",
		"domain": {"name": "Default"}}}}}`
	resp, err := http.Post(h.serve.url+"/identity/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct {
		Token struct {
			Project struct {
				ID string `json:"id"`
			} `json:"project"`
		} `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || resp.StatusCode != http.StatusCreated {
		h.t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return resp.Header.Get("X-Subject-Token"), tr.Token.Project.ID
}

// output returns a stack output's value.
func (h *host) output(stack, key string) any {
	h.t.Helper()
	out := decode[map[string]any](h.t, h.openstack("stack", "output", "show", stack, key, "-f", "json"))
	return out["output_value"]
}

// servers returns the stack's servers by host name, from `slipway server
// show`.
func (h *host) servers(stack string) map[string]map[string]any {
	h.t.Helper()
	ids, _ := h.output(stack, "server_ids").([]any)
	out := map[string]map[string]any{}
	for _, id := range ids {
		srv := decode[map[string]any](h.t, h.slipway("server", "show", fmt.Sprint(id), "-o", "json"))
		out[srv["name"].(string)] = srv
	}
	return out
}

// hostnames sends n requests to url from the host, each on a new
// connection, and returns the bodies that came back (host names) and how
// many requests failed. It sends nothing unless the host routes the
// address through the provider's interface: no test traffic leaves this
// host, even when the public network is gone.
func hostnames(ctx context.Context, url string, n int) (map[string]int, int) {
	if !onHost(url) {
		return map[string]int{}, n
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	seen, failed := map[string]int{}, 0
	for range n {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			failed++
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		seen[strings.TrimSpace(string(b))]++
	}
	return seen, failed
}

// onHost reports whether the host routes url's address to one of the
// provider's interfaces ("slw…") or loopback.
func onHost(url string) bool {
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	routes, err := netlink.RouteGet(ip)
	if err != nil || len(routes) == 0 {
		return false
	}
	link, err := netlink.LinkByIndex(routes[0].LinkIndex)
	if err != nil {
		return false
	}
	name := link.Attrs().Name
	return name == "lo" || strings.HasPrefix(name, "slw")
}

// awaitHostnames waits until repeated requests to url reach exactly want.
func (h *host) awaitHostnames(url string, want []string, timeout time.Duration) {
	h.t.Helper()
	slices.Sort(want)
	deadline := time.Now().Add(timeout)
	for {
		seen, failed := hostnames(h.t.Context(), url, 4*len(want))
		var got []string
		for name := range seen {
			got = append(got, name)
		}
		slices.Sort(got)
		if failed == 0 && slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("requests to %s reached %v (%d failed), want %v", url, seen, failed, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// initPID returns the host PID of a machine's agent, from its init record.
func (h *host) initPID(serverID string) int {
	h.t.Helper()
	b, err := os.ReadFile(filepath.Join(h.dir, "provider", "machines", serverID, "init.json"))
	if err != nil {
		h.t.Fatal(err)
	}
	var rec node.InitRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		h.t.Fatal(err)
	}
	return rec.PID
}
