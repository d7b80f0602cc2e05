package node

import (
	"context"
	"fmt"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// runner runs a command to completion and returns its exit code (128+n for
// a signal). Inside the agent the reaper runs commands; elsewhere a plain
// exec.Cmd.Wait does. A command still running when ctx ends is killed with
// its process group.
type runner interface {
	run(ctx context.Context, cmd *exec.Cmd) (int, error)
}

// plainRunner waits for its own children; for code outside the agent.
type plainRunner struct{}

func (plainRunner) run(ctx context.Context, cmd *exec.Cmd) (int, error) {
	setpgid(cmd)
	if err := cmd.Start(); err != nil {
		return -1, err
	}
	var waitErr error
	done := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(done) }()
	select {
	case <-done:
		if cmd.ProcessState != nil {
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
				return exitStatus{ws: unix.WaitStatus(ws)}.Code(), nil
			}
		}
		return -1, waitErr
	case <-ctx.Done():
		_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
		<-done
		return -1, fmt.Errorf("%s: %w", cmd.Path, ctx.Err())
	}
}

func (r *reaper) run(ctx context.Context, cmd *exec.Cmd) (int, error) {
	setpgid(cmd)
	pid, exit, err := r.start(cmd)
	if err != nil {
		return -1, err
	}
	select {
	case st := <-exit:
		return st.Code(), nil
	case <-ctx.Done():
		_ = unix.Kill(-pid, unix.SIGKILL)
		<-exit
		return -1, fmt.Errorf("%s: %w", cmd.Path, ctx.Err())
	}
}

func setpgid(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}
