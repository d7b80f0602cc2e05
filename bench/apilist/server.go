package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/slipway/slipway/internal/driver"
	"github.com/slipway/slipway/internal/provider/local"
	"github.com/slipway/slipway/internal/server"
)

// readyPrefix starts the line `slipway serve` prints once it answers.
const readyPrefix = "Slipway is ready at "

// startTimeout bounds how long a server may take to become ready.
const startTimeout = 60 * time.Second

// serveOptions say how to start a Slipway server.
type serveOptions struct {
	// Bin is the slipway binary; empty runs the server in this process.
	Bin string
	// DataDir is the server's data directory.
	DataDir string
	// Database is a PostgreSQL URL, or empty for SQLite in DataDir.
	Database string
	// AdminPassword is the admin password bootstrap sets on first start.
	AdminPassword string
	// Log receives the server's log output.
	Log io.Writer
	// LogPath names where Log goes, for error messages.
	LogPath string
}

// slipway is a running Slipway server.
type slipway interface {
	// URL is the root URL the server answers at.
	URL() string
	// PID is the process whose memory and CPU time the server uses, or 0
	// when the server shares this process and cannot be told apart.
	PID() int
	// Stop shuts the server down.
	Stop(ctx context.Context) error
}

// startSlipway starts a server as opts say: a child process of opts.Bin, or
// in this process when opts.Bin is empty.
func startSlipway(ctx context.Context, opts serveOptions) (slipway, error) {
	if opts.Bin == "" {
		return startInProcess(ctx, opts)
	}
	return startProcess(ctx, opts)
}

// process is `slipway serve` running as a child process.
type process struct {
	cmd    *exec.Cmd
	url    string
	exited chan error
}

// startProcess runs `slipway serve` and waits until it prints its URL.
func startProcess(ctx context.Context, opts serveOptions) (*process, error) {
	// The benchmark measures the API: no infrastructure provider, which
	// would set up a public network on the host and leave it there.
	args := []string{"serve", "--data-dir", opts.DataDir, "--listen", "127.0.0.1:0",
		"--admin-password", opts.AdminPassword, "--provider", "none"}
	if opts.Database != "" {
		args = append(args, "--db", opts.Database)
	}
	cmd := exec.Command(opts.Bin, args...)
	cmd.Stderr = opts.Log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", opts.Bin, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", opts.Bin, err)
	}
	p := &process{cmd: cmd, exited: make(chan error, 1)}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(opts.Log, line)
			if u, ok := strings.CutPrefix(line, readyPrefix); ok {
				select {
				case urls <- strings.TrimSpace(u):
				default:
				}
			}
		}
		// Drain whatever is left so that the server never blocks on a
		// full pipe, then reap it.
		_, _ = io.Copy(opts.Log, stdout)
		p.exited <- cmd.Wait()
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case p.url = <-urls:
		return p, nil
	case err := <-p.exited:
		if err == nil {
			err = errors.New("exit status 0")
		}
		return nil, fmt.Errorf("slipway serve exited before it was ready (log in %s): %w", opts.LogPath, err)
	case <-timer.C:
		_ = p.kill() // the exit status of a killed process says nothing
		return nil, fmt.Errorf("slipway serve was not ready within %s (log in %s)", startTimeout, opts.LogPath)
	case <-ctx.Done():
		_ = p.kill() // the exit status of a killed process says nothing
		return nil, fmt.Errorf("start slipway serve: %w", ctx.Err())
	}
}

// URL implements slipway.
func (p *process) URL() string { return p.url }

// PID implements slipway.
func (p *process) PID() int { return p.cmd.Process.Pid }

// kill kills the process and returns its exit status once it is reaped.
func (p *process) kill() error {
	_ = p.cmd.Process.Kill()
	return <-p.exited
}

// Stop sends SIGTERM and waits for the process to exit, killing it when
// ctx ends first.
func (p *process) Stop(ctx context.Context) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop slipway serve: %w", err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			return fmt.Errorf("slipway serve: %w", err)
		}
		return nil
	case <-ctx.Done():
		_ = p.kill() // the exit status of a killed process says nothing
		return fmt.Errorf("stop slipway serve: %w", ctx.Err())
	}
}

// inProcess is a server started with server.Start in this process, wired as
// cmd/slipway wires `slipway serve`.
type inProcess struct {
	run *server.Running
}

func startInProcess(ctx context.Context, opts serveOptions) (*inProcess, error) {
	cfg := server.Config{
		Mode: server.ModeAll, DataDir: opts.DataDir, Listen: "127.0.0.1:0", Database: opts.Database,
		AdminPassword: opts.AdminPassword, Workers: 8, MaxAttempts: 5, TokenTTL: 12 * time.Hour,
	}
	log := slog.New(slog.NewTextHandler(opts.Log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	comps := server.Components{Catalog: local.Catalog{}, Drivers: driver.Registry{}}
	run, err := server.Start(ctx, cfg, comps, log)
	if err != nil {
		return nil, fmt.Errorf("start slipway in process: %w", err)
	}
	return &inProcess{run: run}, nil
}

// URL implements slipway.
func (s *inProcess) URL() string { return s.run.URL }

// PID implements slipway: the server shares this process.
func (s *inProcess) PID() int { return 0 }

// Stop implements slipway.
func (s *inProcess) Stop(ctx context.Context) error {
	if err := s.run.Stop(ctx); err != nil {
		return fmt.Errorf("stop slipway: %w", err)
	}
	return nil
}
