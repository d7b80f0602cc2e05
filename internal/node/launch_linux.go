package node

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// launch is the first boot stage, `slipway node launch PLAN`, run by the
// manager on the host. It joins the machine's cgroups, enters its network
// namespace and starts the second stage as PID 1 of new PID, mount, UTS and
// IPC namespaces, records that process in the plan's init record and
// exits: the machine's init is then nobody's child but the host init's, and
// outlives Slipway.
func launch(planPath string) error {
	plan, err := ReadBootPlan(planPath)
	if err != nil {
		return err
	}
	self := []byte(strconv.Itoa(os.Getpid()))
	for _, cg := range plan.Cgroups {
		if err := os.WriteFile(filepath.Join(cg, "cgroup.procs"), self, 0); err != nil {
			return fmt.Errorf("join cgroup %s: %w", cg, err)
		}
	}
	console, err := openConsole(plan.Root)
	if err != nil {
		return err
	}
	defer console.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return fmt.Errorf("launch: %w", err)
	}
	defer devnull.Close()

	flags := uintptr(unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWPID | unix.CLONE_NEWIPC)
	// The thread that enters the network namespace is the one that forks
	// the init; it is never unlocked, so no other goroutine runs on it.
	runtime.LockOSThread()
	if plan.Netns != "" {
		fd, err := unix.Open(plan.Netns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open netns %s: %w", plan.Netns, err)
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("enter netns %s: %w", plan.Netns, err)
		}
	} else {
		flags |= unix.CLONE_NEWNET
	}
	args := append(append([]string{}, plan.Command[1:]...), "--plan", planPath)
	cmd := exec.Command(plan.Command[0], args...)
	cmd.Env, cmd.Dir = plan.Env, "/"
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, console, console
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags, Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start machine init: %w", err)
	}
	pid := cmd.Process.Pid
	start, err := ProcStartTime(pid)
	if err != nil {
		return fmt.Errorf("machine init %d: %w", pid, err)
	}
	bootID, err := HostBootID()
	if err != nil {
		return err
	}
	rec, err := json.Marshal(InitRecord{PID: pid, StartTime: start, Nonce: plan.Nonce, BootID: bootID})
	if err != nil {
		return fmt.Errorf("init record: %w", err)
	}
	if err := WriteFileAtomic(plan.InitRecord, rec, 0o644); err != nil {
		return err
	}
	_ = cmd.Process.Release()
	return nil
}

// openConsole opens the machine's console log for appending, through the
// disk's root so that no link inside the machine leads outside it.
func openConsole(root string) (*os.File, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open console log: %w", err)
	}
	defer r.Close()
	rel := strings.TrimPrefix(ConsoleLog, "/")
	if err := r.MkdirAll(filepath.Dir(rel), 0o755); err != nil {
		return nil, fmt.Errorf("open console log: %w", err)
	}
	f, err := r.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open console log: %w", err)
	}
	return f, nil
}
