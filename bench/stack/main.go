// Command stack measures the orchestration engine: how long a stack takes
// from the create, update and delete calls to *_COMPLETE, for three shapes
// of N resources on SQLite.
//
//   - none:  N independent OS::Heat::None;
//   - chain: N OS::Heat::Value, each reading the previous one's value with
//     get_attr, so nothing runs in parallel;
//   - group: one OS::Heat::ResourceGroup of N OS::Heat::Value members (a
//     nested stack).
//
// The update changes a parameter that every resource's properties use. On
// OS::Heat::None that is a no-op by design (None ignores property changes,
// as in Heat); on the other shapes every resource is updated in place.
//
// By default the engine runs behind the conductor's River work queue, as in
// `slipway serve`: the clock starts at engine.Service.Create (what the API
// calls) and stops when the stored stack reaches *_COMPLETE, so queue
// pick-up latency is included. With -direct the benchmark calls the
// engine's Reconcile itself instead. It prints one line per shape, size
// and operation, and the process's peak RSS (VmHWM) after each size.
//
//	go run ./bench/stack -sizes 10,100,500,5000
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/conductor"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/engine"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/orchestration/resources/heat"
	"github.com/slipway/slipway/internal/secrets"
	storesql "github.com/slipway/slipway/internal/store/sql"
)

func main() {
	sizes := flag.String("sizes", "10,100,500,5000", "comma-separated stack sizes")
	shapes := flag.String("shapes", "none,chain,group", "comma-separated shapes: none, chain, group")
	direct := flag.Bool("direct", false, "call Reconcile directly instead of going through the work queue")
	concurrency := flag.Int("concurrency", 0, "engine concurrency per stack (0: the engine's default)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/stack:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench/stack:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(context.Background(), *sizes, *shapes, *direct, *concurrency); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench/stack:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, sizeList, shapeList string, direct bool, concurrency int) error {
	mode := "work queue (River on SQLite, 4 workers)"
	if direct {
		mode = "direct Reconcile"
	}
	fmt.Printf("# orchestration engine, SQLite, %s, GOMAXPROCS=%d\n", mode, runtime.GOMAXPROCS(0))
	fmt.Printf("%-6s %6s %10s %10s %10s %12s\n", "shape", "N", "create", "update", "delete", "peak RSS")
	for _, s := range strings.Split(sizeList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("size %q: %w", s, err)
		}
		for _, shape := range strings.Split(shapeList, ",") {
			res, err := measure(ctx, strings.TrimSpace(shape), n, direct, concurrency)
			if err != nil {
				return fmt.Errorf("%s %d: %w", shape, n, err)
			}
			fmt.Printf("%-6s %6d %10s %10s %10s %9d MiB\n", shape, n, ms(res[0]), ms(res[1]), ms(res[2]), peakRSS()>>20)
		}
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

// template renders a shape of n resources.
func template(shape string, n int) (string, error) {
	var b strings.Builder
	b.WriteString("heat_template_version: 2018-08-31\nparameters:\n  v: {type: string, default: one}\nresources:\n")
	switch shape {
	case "none":
		for i := range n {
			fmt.Fprintf(&b, "  r%d: {type: OS::Heat::None, properties: {value: {get_param: v}}}\n", i)
		}
	case "chain":
		b.WriteString("  r0: {type: OS::Heat::Value, properties: {value: {get_param: v}}}\n")
		for i := 1; i < n; i++ {
			fmt.Fprintf(&b, "  r%d: {type: OS::Heat::Value, properties: {value: {get_attr: [r%d, value]}}}\n", i, i-1)
		}
	case "group":
		fmt.Fprintf(&b, "  group:\n    type: OS::Heat::ResourceGroup\n    properties:\n      count: %d\n"+
			"      resource_def: {type: OS::Heat::Value, properties: {value: {get_param: v}}}\n", n)
	default:
		return "", fmt.Errorf("unknown shape %q", shape)
	}
	return b.String(), nil
}

// measure times create, update and delete of one stack in a fresh store.
func measure(ctx context.Context, shape string, n int, direct bool, concurrency int) ([3]time.Duration, error) {
	var out [3]time.Duration
	tmpl, err := template(shape, n)
	if err != nil {
		return out, err
	}
	dir, err := os.MkdirTemp("", "slipway-bench-stack-")
	if err != nil {
		return out, err
	}
	defer os.RemoveAll(dir)
	key, err := secrets.NewKey()
	if err != nil {
		return out, err
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		return out, err
	}
	path := filepath.Join(dir, "slipway.db")
	st, err := storesql.Open(ctx, path, box)
	if err != nil {
		return out, err
	}
	defer st.Close()
	reg := resources.NewRegistry("local")
	if err := heat.Register(reg); err != nil {
		return out, err
	}
	quiet := slog.New(slog.DiscardHandler)
	var queue *conductor.Queue
	svc := engine.New(st, reg, engine.Options{Concurrency: concurrency, Log: quiet,
		PublicURL: "http://127.0.0.1/orchestration/v1",
		Enqueue: func(ctx context.Context, id string) error {
			if queue == nil {
				return nil
			}
			return queue.Enqueue(ctx, model.KindStack, id)
		}})
	if !direct {
		db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
		if err != nil {
			return out, err
		}
		db.SetMaxOpenConns(1)
		defer db.Close()
		queue, err = conductor.NewSQLiteQueue(ctx, db, st, []conductor.Target{svc.Target()},
			conductor.QueueOptions{Workers: 4, Log: quiet})
		if err != nil {
			return out, err
		}
		if err := queue.Start(ctx); err != nil {
			return out, err
		}
		defer func() { _ = queue.Stop(context.WithoutCancel(ctx)) }()
	}
	wait := func(id, want string) error {
		if direct {
			if err := svc.Reconcile(ctx, id, false); err != nil {
				return err
			}
		}
		deadline := time.Now().Add(10 * time.Minute)
		for time.Now().Before(deadline) {
			s, err := svc.Get(ctx, id)
			if err != nil {
				return err
			}
			if s.StackStatus() == want {
				return nil
			}
			if !s.InProgress() {
				return fmt.Errorf("stack is %s: %s", s.StackStatus(), s.StatusReason)
			}
			time.Sleep(2 * time.Millisecond)
		}
		return errors.New("timed out waiting for the stack")
	}

	start := time.Now()
	s, err := svc.Create(ctx, engine.StackRequest{ProjectID: "bench", UserID: "bench", Name: "bench", Template: tmpl})
	if err != nil {
		return out, err
	}
	if err := wait(s.UUID, "CREATE_COMPLETE"); err != nil {
		return out, fmt.Errorf("create: %w", err)
	}
	out[0] = time.Since(start)

	start = time.Now()
	if _, err := svc.Update(ctx, s.UUID, engine.StackRequest{Existing: true, Parameters: map[string]string{"v": "two"}}); err != nil {
		return out, err
	}
	if err := wait(s.UUID, "UPDATE_COMPLETE"); err != nil {
		return out, fmt.Errorf("update: %w", err)
	}
	out[1] = time.Since(start)

	start = time.Now()
	if err := svc.Delete(ctx, s.UUID); err != nil {
		return out, err
	}
	if err := wait(s.UUID, "DELETE_COMPLETE"); err != nil {
		return out, fmt.Errorf("delete: %w", err)
	}
	out[2] = time.Since(start)
	return out, nil
}

// peakRSS returns the process's peak resident set size in bytes.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
