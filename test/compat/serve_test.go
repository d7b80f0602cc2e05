package compat

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// slipwayBinary returns the slipway binary under test: $SLIPWAY_BIN, which
// hack/test.sh builds, or one built here.
func slipwayBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("SLIPWAY_BIN"); bin != "" {
		return bin
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "slipway-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "slipway")
		out, err := exec.Command("go", "build", "-o", builtBin, "github.com/slipway/slipway/cmd/slipway").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("go build: %s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build slipway: %v", buildErr)
	}
	return builtBin
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// serveProcess is a running `slipway serve`.
type serveProcess struct {
	cmd  *exec.Cmd
	url  string
	out  strings.Builder
	mu   sync.Mutex
	done chan error
}

func startServe(t *testing.T, dataDir string, env ...string) *serveProcess {
	t.Helper()
	cmd := exec.Command(slipwayBinary(t), "serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logFile, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logFile
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			t.Logf("slipway serve log (tail):\n%s", b)
		}
		logFile.Close()
	})
	if err := cmd.Start(); err != nil {
		t.Fatalf("start slipway serve: %v", err)
	}
	p := &serveProcess{cmd: cmd, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.out.WriteString(line + "\n")
			p.mu.Unlock()
			if u, ok := strings.CutPrefix(line, "Slipway is ready at "); ok {
				ready <- u
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { p.stop(t) })
	select {
	case p.url = <-ready:
	case err := <-p.done:
		t.Fatalf("slipway serve exited before it was ready: %v\n%s", err, p.output())
	case <-time.After(60 * time.Second):
		t.Fatalf("slipway serve not ready after 60s:\n%s", p.output())
	}
	return p
}

func (p *serveProcess) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// stop sends SIGTERM and waits for a clean exit.
func (p *serveProcess) stop(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("slipway serve exited with %v", err)
		}
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Errorf("slipway serve did not stop on SIGTERM")
	}
}

func TestServeBootstrapsAndRestarts(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	p := startServe(t, dir)
	out := p.output()
	for _, want := range []string{"Created user admin in project admin", "OS_CLOUD=slipway", "openstack coe cluster template list"} {
		if !strings.Contains(out, want) {
			t.Fatalf("serve output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"clouds.yaml", "openrc", "secret.key", "slipway.db"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("data dir: %v", err)
		}
		if f != "slipway.db" && st.Mode().Perm() != 0o600 {
			t.Fatalf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	resp, err := http.Get(p.url + "/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /: %v %v", resp, err)
	}
	resp.Body.Close()

	// The stock CLI works at once with the written clouds.yaml.
	cloudEnv := []string{"OS_CLIENT_CONFIG_FILE=" + filepath.Join(dir, "clouds.yaml"), "OS_CLOUD=slipway"}
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "openstack", args...)
		cmd.Env = append(os.Environ(), cloudEnv...)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("openstack %v: %v\n%s", args, err, b)
		}
		return string(b)
	}
	run("coe", "cluster", "template", "list")
	run("coe", "cluster", "template", "create", "persisted", "--coe", "kubernetes", "--image", "slipway-node", "--external-network", "public")
	token := strings.TrimSpace(run("token", "issue", "-f", "value", "-c", "id"))
	password := cloudsPassword(t, dir)

	// Restart: data and tokens survive; the port may change and clouds.yaml
	// follows it while keeping the password.
	p.stop(t)
	p2 := startServe(t, dir)
	if strings.Contains(p2.output(), "Created user admin") {
		t.Fatal("a restart bootstrapped the admin again")
	}
	if got := cloudsPassword(t, dir); got != password {
		t.Fatal("the restart changed the admin password in clouds.yaml")
	}
	req, _ := http.NewRequest("GET", p2.url+"/container-infra/v1/clustertemplates", nil)
	req.Header.Set("X-Auth-Token", token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"name":"persisted"`) {
		t.Fatalf("token from before the restart: %d %s", resp.StatusCode, body)
	}
	if out := run("coe", "cluster", "template", "list"); !strings.Contains(out, "persisted") {
		t.Fatalf("template list after restart:\n%s", out)
	}
}

func cloudsPassword(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "clouds.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cf struct {
		Clouds map[string]struct {
			Auth struct {
				Password string `json:"password"`
			} `json:"auth"`
		} `json:"clouds"`
	}
	if err := yaml.Unmarshal(b, &cf); err != nil {
		t.Fatal(err)
	}
	pw := cf.Clouds["slipway"].Auth.Password
	if len(pw) < 16 {
		t.Fatalf("generated admin password %q is too short", pw)
	}
	return pw
}
