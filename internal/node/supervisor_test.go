package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// startReaper runs a reaper of this test's own children until the test ends.
func startReaper(t *testing.T) *reaper {
	t.Helper()
	r := newReaper(false)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.loop(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// runSupervisor supervises services until the test ends.
func runSupervisor(t *testing.T, services []Service) (*supervisor, context.CancelFunc, <-chan struct{}) {
	t.Helper()
	r := startReaper(t)
	sup := newSupervisor(r, os.Environ(), t.TempDir(), quietLog(), services, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sup.run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return sup, cancel, done
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func serviceStatus(sup *supervisor, name string) ServiceStatus {
	for _, s := range sup.status() {
		if s.Name == name {
			return s
		}
	}
	return ServiceStatus{}
}

func lines(path string) []string {
	b, _ := os.ReadFile(path)
	return strings.Fields(string(b))
}

func TestSupervisorRestartsWithBackoff(t *testing.T) {
	t.Parallel()
	starts := filepath.Join(t.TempDir(), "starts")
	sup, _, _ := runSupervisor(t, []Service{{
		Name: "crashy", Command: "/bin/sh", Args: []string{"-c", "date +%s%N >> " + starts + "; exit 3"},
		Restart: RestartPolicy{Backoff: Duration(100 * time.Millisecond), MaxBackoff: Duration(400 * time.Millisecond)},
	}})
	waitFor(t, 20*time.Second, "5 starts", func() bool { return len(lines(starts)) >= 5 })
	var at []int64
	for _, l := range lines(starts)[:5] {
		n, _ := strconv.ParseInt(l, 10, 64)
		at = append(at, n)
	}
	// Back-off doubles from 100ms and stops at 400ms.
	for i, want := range []time.Duration{100, 200, 400, 400} {
		gap := time.Duration(at[i+1] - at[i])
		if gap < want*time.Millisecond*9/10 {
			t.Errorf("restart %d came after %v, want at least %v", i+1, gap, want*time.Millisecond)
		}
	}
	st := serviceStatus(sup, "crashy")
	if st.Restarts < 4 || st.LastExit != "exit status 3" {
		t.Errorf("status = %+v", st)
	}
}

func TestSupervisorReadinessAndOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	saw := filepath.Join(dir, "saw")
	www := t.TempDir()
	if err := os.WriteFile(filepath.Join(www, "index.html"), []byte("ok"), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	sup, cancel, done := runSupervisor(t, []Service{
		{
			Name: "slow", Command: "/bin/sh", Args: []string{"-c", "sleep 0.3; touch " + ready + "; exec sleep 60"},
			Readiness: &Probe{Exec: []string{"test", "-e", ready}, Period: Duration(50 * time.Millisecond)},
		},
		{
			Name: "after-slow", After: []string{"slow"}, Command: "/bin/sh",
			Args: []string{"-c", "if [ -e " + ready + " ]; then echo yes; else echo no; fi > " + saw + "; exec sleep 60"},
		},
		{
			Name: "web", Command: "busybox", Args: []string{"httpd", "-f", "-p", "127.0.0.1:" + port, "-h", www},
			Readiness: &Probe{HTTP: "http://127.0.0.1:" + port + "/"},
		},
		{
			Name: "tcp", Command: "sleep", Args: []string{"60"},
			Readiness: &Probe{TCP: "127.0.0.1:1"}, // never ready: nothing listens on port 1
		},
	})
	if st := serviceStatus(sup, "slow"); st.Ready {
		t.Fatal("slow is ready before its probe passed")
	}
	waitFor(t, 10*time.Second, "slow, after-slow and web", func() bool {
		return serviceStatus(sup, "slow").Ready && serviceStatus(sup, "after-slow").Ready && serviceStatus(sup, "web").Ready
	})
	waitFor(t, 5*time.Second, "after-slow's check", func() bool { return len(lines(saw)) == 1 })
	if got := lines(saw)[0]; got != "yes" {
		t.Errorf("after-slow started before slow was ready")
	}
	if st := serviceStatus(sup, "tcp"); st.Ready || st.State != serviceStarting {
		t.Errorf("tcp = %+v, want starting and not ready", st)
	}
	pid := serviceStatus(sup, "slow").PID
	cancel()
	<-done
	if err := unix.Kill(pid, 0); err == nil {
		t.Errorf("slow (pid %d) still runs after the supervisor stopped", pid)
	}
	for _, s := range sup.status() {
		if s.State != serviceExited {
			t.Errorf("%s is %s after stop", s.Name, s.State)
		}
	}
}

func TestSupervisorPolicies(t *testing.T) {
	t.Parallel()
	logDir := t.TempDir()
	r := startReaper(t)
	sup := newSupervisor(r, os.Environ(), logDir, quietLog(), []Service{
		{Name: "done", Command: "/bin/sh", Args: []string{"-c", "echo finished"}, Restart: RestartPolicy{Policy: RestartOnFailure}},
		{Name: "once", Command: "/bin/sh", Args: []string{"-c", "exit 0"}, Restart: RestartPolicy{Policy: RestartNever}},
		{Name: "doomed", Command: "/bin/sh", Args: []string{"-c", "exit 1"},
			Restart:   RestartPolicy{Policy: RestartOnFailure, MaxRestarts: 2, Backoff: Duration(10 * time.Millisecond)},
			Readiness: &Probe{Exec: []string{"false"}}},
		{Name: "needs-doomed", Command: "/bin/true", After: []string{"doomed"}},
	}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, failed := sup.outcome(ctx)
	done := make(chan struct{})
	go func() { sup.run(ctx); close(done) }()
	select {
	case name := <-failed:
		if name != "doomed" && name != "needs-doomed" {
			t.Errorf("failed service = %s", name)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no failure reported")
	}
	waitFor(t, 10*time.Second, "every service to settle", func() bool {
		return serviceStatus(sup, "done").State == serviceExited && serviceStatus(sup, "once").State == serviceExited &&
			serviceStatus(sup, "doomed").State == serviceFailed && serviceStatus(sup, "needs-doomed").State == serviceFailed
	})
	if st := serviceStatus(sup, "doomed"); st.Restarts != 2 {
		t.Errorf("doomed restarted %d times, want 2", st.Restarts)
	}
	cancel()
	<-done
	if got := strings.TrimSpace(readString(filepath.Join(logDir, "done.log"))); got != "finished" {
		t.Errorf("done.log = %q", got)
	}
}

func readString(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

func TestRotatingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "svc.log")
	r, err := openRotating(path, 10, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"aaaaaaaa\n", "bbbbbbbb\n", "cccccccc\n", "dddddddd\n"} {
		if _, err := r.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	_ = r.Close()
	for p, want := range map[string]string{path: "dddddddd\n", path + ".1": "cccccccc\n", path + ".2": "bbbbbbbb\n"} {
		if got := readString(p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	if _, err := os.Stat(path + ".3"); err == nil {
		t.Error("kept more rotated files than asked")
	}
}
