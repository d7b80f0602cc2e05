package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/slipway/slipway/bench/internal/measure"
	"github.com/slipway/slipway/internal/provider/local/leakcheck"
	"github.com/slipway/slipway/internal/provider/local/machine"
)

// options are the command line.
type options struct {
	agent    string
	runs     int
	parallel int
	settle   time.Duration
}

func main() {
	measure.ServeAgent()
	var o options
	fs := flag.NewFlagSet("machines", flag.ExitOnError)
	fs.StringVar(&o.agent, "agent", "", "slipway binary whose `node` command is the agent (default: this program)")
	fs.IntVar(&o.runs, "runs", 10, "sequential create-to-ACTIVE runs")
	fs.IntVar(&o.parallel, "n", 20, "machines created, measured and deleted in parallel")
	fs.DurationVar(&o.settle, "settle", 2*time.Second, "idle time before measuring memory")
	_ = fs.Parse(os.Args[1:])
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "machines:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root")
	}
	command := []string{o.agent, "node"}
	if o.agent == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		command[0] = exe
	}
	state, err := os.MkdirTemp("", "slipway-bench-machines-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(state)
	cgRoot := fmt.Sprintf("slipway-bench/%d", os.Getpid())
	m, err := machine.New(ctx, machine.Config{StateDir: state, Command: command, CgroupRoot: cgRoot,
		Log: discardLogger()})
	if err != nil {
		return err
	}
	scopes := []leakcheck.Scope{leakcheck.FilesUnder(state), leakcheck.CgroupsUnder(cgRoot), leakcheck.NamespacedProcessesOnly()}
	before, err := leakcheck.Snapshot(ctx, scopes...)
	if err != nil {
		return err
	}
	defer func() {
		ms, _ := m.List(context.Background())
		for _, mach := range ms {
			_ = m.Delete(context.Background(), mach.ID)
		}
	}()
	fmt.Fprintf(out, "host: %d CPUs, agent %s\n\n", runtime.NumCPU(), command[0])

	// 1. One machine at a time: Create to ACTIVE, and its delete.
	var up, del []time.Duration
	for i := 0; i < o.runs; i++ {
		id := fmt.Sprintf("seq-%d", i)
		d, err := createActive(ctx, m, id)
		if err != nil {
			return err
		}
		up = append(up, d)
		t0 := time.Now()
		if err := m.Delete(ctx, id); err != nil {
			return err
		}
		del = append(del, time.Since(t0))
	}
	fmt.Fprintf(out, "create -> ACTIVE, one at a time (%d runs): %s   (target <= 300ms)\n", o.runs, measure.Summary(up))
	fmt.Fprintf(out, "delete, one at a time:                     %s\n", measure.Summary(del))

	// 2. n machines in parallel.
	t0 := time.Now()
	each, err := parallel(o.parallel, func(i int) (time.Duration, error) {
		return createActive(ctx, m, fmt.Sprintf("par-%d", i))
	})
	wall := time.Since(t0)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d machines in parallel, all ACTIVE:       %s   (target <= 3s; each %s)\n", o.parallel, measure.Ms(wall), measure.Summary(each))

	// 3. Memory of idle machines.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(o.settle):
	}
	if err := memory(ctx, m, out, cgRoot); err != nil {
		return err
	}

	// 4. Delete them all in parallel, then the leak check.
	t0 = time.Now()
	if _, err := parallel(o.parallel, func(i int) (time.Duration, error) {
		return 0, m.Delete(ctx, fmt.Sprintf("par-%d", i))
	}); err != nil {
		return err
	}
	fmt.Fprintf(out, "delete of %d machines in parallel:         %s   (target <= 2s)\n", o.parallel, measure.Ms(time.Since(t0)))
	after, err := leakcheck.Snapshot(ctx, scopes...)
	if err != nil {
		return err
	}
	if d := leakcheck.Diff(before, after); len(d) > 0 {
		fmt.Fprintf(out, "leak check: %d differences\n  %s\n", len(d), strings.Join(d, "\n  "))
		return errors.New("leak check failed")
	}
	fmt.Fprintln(out, "leak check: clean")
	return nil
}

// createActive creates a machine with a trivial user_data and returns the
// time until it is ACTIVE.
func createActive(ctx context.Context, m *machine.Manager, id string) (time.Duration, error) {
	t0 := time.Now()
	if _, err := m.Create(ctx, machine.Spec{ID: id, Name: id, Flavor: machine.Flavor{VCPUs: 1, MemoryMiB: 512},
		UserData: []byte("#!/bin/sh\ntrue\n")}); err != nil {
		return 0, err
	}
	mach, err := m.Wait(ctx, id)
	if err != nil {
		return 0, err
	}
	if mach.State != machine.StateActive {
		return 0, fmt.Errorf("machine %s is %s: %s", id, mach.State, mach.Reason)
	}
	return time.Since(t0), nil
}

func parallel(n int, f func(int) (time.Duration, error)) ([]time.Duration, error) {
	out := make([]time.Duration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = f(i)
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// memory prints what the idle machines cost: the PSS and RSS of each
// machine's processes (the agent alone when idle), the memory charged to
// its cgroup, and the manager's heap per machine.
func memory(ctx context.Context, m *machine.Manager, out io.Writer, cgRoot string) error {
	ms, err := m.List(ctx)
	if err != nil {
		return err
	}
	var pss, rss, anon, cg []float64
	for _, mach := range ms {
		if mach.InitPID == 0 {
			continue
		}
		p, r := measure.Smaps(mach.InitPID)
		pss, rss, anon = append(pss, p), append(rss, r), append(anon, measure.RSSAnon(mach.InitPID))
		if b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/memory", cgRoot, mach.ID, "memory.usage_in_bytes")); err == nil {
			v, _ := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
			cg = append(cg, v/(1<<20))
		} else if b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", cgRoot, mach.ID, "memory.current")); err == nil {
			v, _ := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
			cg = append(cg, v/(1<<20))
		}
	}
	runtime.GC()
	var st runtime.MemStats
	runtime.ReadMemStats(&st)
	fmt.Fprintf(out, "idle machine memory (%d machines):\n", len(pss))
	fmt.Fprintf(out, "  agent RssAnon       %s MiB   (its own memory; target <= 15 MiB with bookkeeping)\n", measure.Figures(anon))
	fmt.Fprintf(out, "  agent PSS           %s MiB   (binary pages shared among the agents)\n", measure.Figures(pss))
	fmt.Fprintf(out, "  agent RSS           %s MiB   (binary pages counted in full)\n", measure.Figures(rss))
	if len(cg) > 0 {
		fmt.Fprintf(out, "  cgroup charge       %s MiB   (includes page cache the machine touched)\n", measure.Figures(cg))
	}
	fmt.Fprintf(out, "  manager heap        %.2f MiB in all (%.1f KiB per machine)\n",
		float64(st.HeapInuse)/(1<<20), float64(st.HeapInuse)/1024/float64(max(len(pss), 1)))
	return nil
}
