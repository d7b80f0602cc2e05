package kubetest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// logTailLines is how much of a process's log a failed test shows.
const logTailLines = 40

// errPortInUse means a process exited because its port was taken.
var errPortInUse = errors.New("port already in use")

// process is one control-plane process, in its own process group.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	stopped sync.Once
}

// startProcess runs bin with args in its own process group, its output in
// dir/name.log. The process is killed if the test binary dies; the test's
// cleanup stops it and, when the test failed, logs the end of its log.
func startProcess(t testing.TB, dir, name, bin string, args ...string) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child has its own copy
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s log (last %d lines):\n%s", name, logTailLines, p.logTail())
		}
	})
	return p, nil
}

// stop kills the process group and waits for the process to exit. A test
// cluster keeps nothing worth a graceful shutdown, and a graceful one is
// slow: etcd waits for its clients, kube-apiserver without etcd for its
// storage. Calling stop again does nothing.
func (p *process) stop() {
	p.stopped.Do(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	})
}

// exitError returns an error when the process has exited, nil while it
// runs. It wraps errPortInUse when the log says a port was taken.
func (p *process) exitError() error {
	select {
	case <-p.exited:
	default:
		return nil
	}
	tail := p.logTail()
	err := fmt.Errorf("%s exited (%v); its log ends:\n%s", p.name, p.cmd.ProcessState, tail)
	if strings.Contains(tail, "address already in use") {
		return fmt.Errorf("%w: %w", errPortInUse, err)
	}
	return err
}

// logTail returns the last lines of the process's log.
func (p *process) logTail() string {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	return strings.Join(lines, "\n")
}
