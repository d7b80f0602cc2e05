package machine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/slipway/slipway/internal/provider/local/leakcheck"
)

// needRoot skips a test that changes the host unless it runs as root.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("local machines need root")
	}
}

// testConfig is a manager configuration with its own state directory and
// cgroup root, and this test binary as `slipway node`.
func testConfig(t *testing.T) Config {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		StateDir:   filepath.Join(t.TempDir(), "state"),
		Command:    []string{exe, "node"},
		CgroupRoot: fmt.Sprintf("slipway-test/%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-")),
		Log:        slog.New(slog.NewTextHandler(testWriter{t}, nil)),
	}
}

// testWriter sends a manager's log to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// newManager returns a manager whose machines are all deleted when the test
// ends, whatever happened. The test holds the host-wide leak-check lock
// until then: its machines are host state other packages' leak checks
// would see.
func newManager(t *testing.T, cfg Config) *Manager {
	t.Helper()
	needTools(t)
	unlock, err := leakcheck.Lock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unlock)
	m, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		ms, _ := m.List(ctx)
		for _, mach := range ms {
			if err := m.Delete(ctx, mach.ID); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
		_, _ = m.Adopt(ctx) // leftovers under the test's cgroup root
	})
	return m
}

// needTools fails a test when the host lacks what the image slipway-node
// must offer inside machines.
func needTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"busybox", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: machines need Debian's busybox-static and curl (apt-get install busybox-static curl)", tool)
		}
	}
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// httpGetIn sends GET path to addr from inside the network namespace at
// nsPath: the socket is made on a thread that entered the namespace and
// returns to its own afterwards. Nothing leaves that namespace.
func httpGetIn(nsPath, addr, path string) (string, error) {
	type result struct {
		body string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		body, err := func() (string, error) {
			own, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				return "", err
			}
			defer unix.Close(own)
			fd, err := unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				return "", err
			}
			defer unix.Close(fd)
			if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
				return "", err
			}
			conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
			// Back to this thread's own namespace; a thread that cannot
			// return stays locked and ends with the goroutine.
			if err := unix.Setns(own, unix.CLONE_NEWNET); err == nil {
				runtime.UnlockOSThread()
			}
			if err != nil {
				return "", err
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.0\r\nHost: machine\r\n\r\n", path); err != nil {
				return "", err
			}
			r := bufio.NewReader(conn)
			status, err := r.ReadString('\n')
			if err != nil {
				return "", err
			}
			if !strings.Contains(status, " 200 ") {
				return "", fmt.Errorf("GET %s: %s", path, strings.TrimSpace(status))
			}
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return "", err
				}
				if strings.TrimSpace(line) == "" {
					break
				}
			}
			b, err := io.ReadAll(r)
			return string(b), err
		}()
		ch <- result{body, err}
	}()
	res := <-ch
	return res.body, res.err
}
