package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// exitStatus is how a process ended.
type exitStatus struct {
	ws unix.WaitStatus
}

// Code is the exit code, or 128+signal for a process killed by a signal, as
// shells report it.
func (e exitStatus) Code() int {
	if e.ws.Signaled() {
		return 128 + int(e.ws.Signal())
	}
	return e.ws.ExitStatus()
}

func (e exitStatus) String() string {
	if e.ws.Signaled() {
		return "killed by signal " + e.ws.Signal().String()
	}
	return "exit status " + strconv.Itoa(e.ws.ExitStatus())
}

// reaper owns wait4 for the agent. As a machine's PID 1 (or a child
// subreaper) the agent inherits every orphan, so it reaps with wait4(-1) and
// hands the statuses of its own children to whoever started them. Started
// processes are registered under the same lock as the reaping, so no exit
// is lost between start and registration. Processes are never waited for
// through exec.Cmd.Wait, which would race with wait4(-1).
type reaper struct {
	// all makes the reaper collect every child (PID 1 or subreaper); without
	// it only registered children are reaped.
	all     bool
	mu      sync.Mutex
	waiting map[int]waiter
	kick    chan struct{}
}

// waiter is a started process and where its exit status goes.
type waiter struct {
	proc *os.Process
	ch   chan exitStatus
}

func newReaper(all bool) *reaper {
	return &reaper{all: all, waiting: map[int]waiter{}, kick: make(chan struct{}, 1)}
}

// start starts cmd and returns its PID and a channel that receives its
// exit status. cmd's standard streams must be nil or *os.File, so that no
// copying goroutine needs Wait. Callers use the returned PID, not
// cmd.Process, which the reaper releases.
func (r *reaper) start(cmd *exec.Cmd) (int, <-chan exitStatus, error) {
	for _, s := range []any{cmd.Stdin, cmd.Stdout, cmd.Stderr} {
		switch s.(type) {
		case nil, *os.File:
		default:
			return 0, nil, errors.New("start process: standard streams must be files")
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	pid := cmd.Process.Pid
	ch := make(chan exitStatus, 1)
	r.waiting[pid] = waiter{proc: cmd.Process, ch: ch}
	select {
	case r.kick <- struct{}{}:
	default:
	}
	return pid, ch, nil
}

// loop reaps until ctx ends.
func (r *reaper) loop(ctx context.Context) {
	sig := make(chan os.Signal, 16)
	signal.Notify(sig, syscall.SIGCHLD)
	defer signal.Stop(sig)
	for {
		r.reap()
		select {
		case <-ctx.Done():
			return
		case <-sig:
		case <-r.kick:
		}
	}
}

func (r *reaper) reap() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.all {
		for {
			var ws unix.WaitStatus
			pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if err == unix.EINTR {
				continue
			}
			if err != nil || pid <= 0 {
				return
			}
			r.deliver(pid, ws)
		}
	}
	for pid := range r.waiting {
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if err == unix.ECHILD {
			// Reaped elsewhere; report it as gone.
			r.deliver(pid, unix.WaitStatus(0xff00))
			continue
		}
		if err == nil && got == pid {
			r.deliver(pid, ws)
		}
	}
}

func (r *reaper) deliver(pid int, ws unix.WaitStatus) {
	if w, ok := r.waiting[pid]; ok {
		w.ch <- exitStatus{ws: ws}
		_ = w.proc.Release()
		delete(r.waiting, pid)
	}
}

// children lists this process's direct children, found by scanning every
// process's parent (a thread's children file misses the children of other
// threads and reparented orphans).
func children() []int {
	self := strconv.Itoa(os.Getpid())
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(stat), ')')
		if f := strings.Fields(string(stat[i+1:])); len(f) > 1 && f[1] == self {
			out = append(out, pid)
		}
	}
	return out
}
