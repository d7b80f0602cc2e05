package lb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/slipway/slipway/internal/provider/local/network/netns"
)

// Files in a load balancer's state directory.
const (
	configFile   = "haproxy.cfg"
	statsSocket  = "stats.sock"
	masterSocket = "master.sock"
	pidFile      = "haproxy.pid"
	logFile      = "haproxy.log"
)

// proc drives one load balancer's HAProxy.
type proc struct {
	bin   string
	dir   string
	netns string
}

func (p proc) path(name string) string { return filepath.Join(p.dir, name) }

// validate checks a configuration file with `haproxy -c`.
func (p proc) validate(ctx context.Context, cfg string) error {
	out, err := exec.CommandContext(ctx, p.bin, "-c", "-q", "-f", cfg).CombinedOutput()
	if err != nil {
		return fmt.Errorf("haproxy rejects the configuration: %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// start launches HAProxy in master-worker mode inside the namespace. With
// -D the process we start forks the master and exits, so the master is not
// Slipway's child; setsid puts it in a session of its own.
func (p proc) start(ctx context.Context) error {
	log, err := os.OpenFile(p.path(logFile), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("start haproxy: %w", err)
	}
	defer log.Close()
	os.Remove(p.path(masterSocket))
	cmd := exec.Command(p.bin, "-W", "-D", "-S", p.path(masterSocket)+",mode,600",
		"-f", p.path(configFile), "-p", p.path(pidFile))
	cmd.Stdout, cmd.Stderr, cmd.Dir = log, log, p.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := netns.Do(p.netns, cmd.Run); err != nil {
		return fmt.Errorf("start haproxy: %w: %s", err, p.logTail())
	}
	return p.await(ctx, func(st procStatus) bool { return st.workers > 0 })
}

// logTail returns the end of HAProxy's start-up log, for error messages.
func (p proc) logTail() string {
	b, _ := os.ReadFile(p.path(logFile))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// procStatus is the master's `show proc`.
type procStatus struct {
	master  int
	reloads int
	failed  int
	workers int
	current []int // pids of workers of the current generation
}

func (p proc) status(ctx context.Context) (procStatus, error) {
	out, err := cli(ctx, p.path(masterSocket), "show proc")
	if err != nil {
		return procStatus{}, err
	}
	var st procStatus
	section := ""
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "# ") {
			section = strings.TrimPrefix(line, "# ")
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 || strings.HasPrefix(line, "#") {
			continue
		}
		pid, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		switch {
		case f[1] == "master":
			st.master = pid
			st.reloads, _ = strconv.Atoi(f[2])
			if i := strings.Index(line, "[failed: "); i >= 0 {
				st.failed, _ = strconv.Atoi(strings.TrimSuffix(strings.Fields(line[i+9:])[0], "]"))
			}
		case f[1] == "worker" && section == "workers":
			st.workers++
			if f[2] == "0" {
				st.current = append(st.current, pid)
			}
		}
	}
	if st.master == 0 {
		return st, fmt.Errorf("haproxy master: unexpected answer to show proc: %q", out)
	}
	return st, nil
}

// await polls the master until ok holds.
func (p proc) await(ctx context.Context, ok func(procStatus) bool) error {
	deadline := time.Now().Add(10 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		st, err := p.status(ctx)
		if err == nil && ok(st) {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return fmt.Errorf("haproxy did not become ready: %w: %s", errors.Join(last, errors.New("timed out")), p.logTail())
}

// reload makes the master start a new worker with the configuration file;
// the old workers stop listening (the listening sockets pass to the new
// one) and finish the connections they hold.
func (p proc) reload(ctx context.Context) error {
	before, err := p.status(ctx)
	if err != nil {
		return fmt.Errorf("reload haproxy: %w", err)
	}
	if err := syscall.Kill(before.master, syscall.SIGUSR2); err != nil {
		return fmt.Errorf("reload haproxy: %w", err)
	}
	var after procStatus
	err = p.await(ctx, func(st procStatus) bool {
		after = st
		return st.reloads > before.reloads && (len(st.current) > 0 || st.failed > before.failed)
	})
	if err != nil {
		return fmt.Errorf("reload haproxy: %w", err)
	}
	if after.failed > before.failed {
		return fmt.Errorf("reload haproxy: the new configuration failed to load: %s", p.logTail())
	}
	return nil
}

// running reports whether this load balancer's master is alive: the pid
// file names a live process in the load balancer's namespace that answers
// on the master socket.
func (p proc) running(ctx context.Context) bool {
	b, err := os.ReadFile(p.path(pidFile))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		return false
	}
	want, err := netns.Inode(p.netns)
	if err != nil {
		return false
	}
	var st syscall.Stat_t
	if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st); err != nil || st.Ino != want {
		return false
	}
	s, err := p.status(ctx)
	return err == nil && s.master == pid
}

// stop kills every process in the load balancer's namespace (the master and
// all its workers, old ones included) and waits until none is left.
func stopAll(ctx context.Context, nsPath string) error {
	for range 100 {
		pids, err := netns.Pids(nsPath)
		if err != nil || len(pids) == 0 {
			return nil
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return fmt.Errorf("processes in %s survive SIGKILL", nsPath)
}

// cli sends one command to an HAProxy CLI socket and returns the answer.
func cli(ctx context.Context, sock, command string) (string, error) {
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return "", fmt.Errorf("haproxy socket: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, command+"\n"); err != nil {
		return "", fmt.Errorf("haproxy socket: %w", err)
	}
	// The master CLI keeps the connection open after answering; the end of
	// input makes it close.
	if uc, ok := c.(*net.UnixConn); ok {
		_ = uc.CloseWrite()
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return "", fmt.Errorf("haproxy socket: %w", err)
	}
	return string(b), nil
}
