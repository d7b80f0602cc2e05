// Command provider measures the local provider through the orchestration
// engine, as `slipway serve` runs it: the resource plugins over real
// machines, networks and HAProxy, the engine calling them, and the
// orchestration API receiving the servers' wait-condition signals on the
// host's address on the public network.
//
//   - server create to ACTIVE: the server plugin's Create, which returns
//     once the machine's agent is up, one server at a time;
//   - server create to signalled: a stack of one server and a wait
//     condition that the server's user_data signals with curl_cli, from
//     the stack create to CREATE_COMPLETE, one stack at a time;
//   - 20 in parallel: a stack whose ResourceGroup holds 20 such servers;
//   - delete of that 20-machine stack, then a leak check of the host;
//   - host memory per idle machine: the agent's own memory, its PSS, the
//     memory charged to the machine's cgroup, and Slipway's heap per
//     machine (the bookkeeping).
//
// It needs root. The agent is `-agent BINARY node`, by default this
// program:
//
//	go build -o bin/slipway ./cmd/slipway && go run ./bench/provider -agent bin/slipway
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/slipway/slipway/bench/internal/measure"
	"github.com/slipway/slipway/internal/api"
	orchestrationapi "github.com/slipway/slipway/internal/api/orchestration"
	"github.com/slipway/slipway/internal/identity"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/engine"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/orchestration/resources/heat"
	"github.com/slipway/slipway/internal/orchestration/resources/schema"
	"github.com/slipway/slipway/internal/provider/local"
	"github.com/slipway/slipway/internal/provider/local/leakcheck"
	"github.com/slipway/slipway/internal/secrets"
	"github.com/slipway/slipway/internal/store"
	storesql "github.com/slipway/slipway/internal/store/sql"
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
	fs := flag.NewFlagSet("provider", flag.ExitOnError)
	fs.StringVar(&o.agent, "agent", "", "slipway binary whose `node` command is the agent (default: this program)")
	fs.IntVar(&o.runs, "runs", 10, "sequential runs of each one-server measurement")
	fs.IntVar(&o.parallel, "n", 20, "servers of the parallel stack")
	fs.DurationVar(&o.settle, "settle", 2*time.Second, "idle time before measuring memory")
	_ = fs.Parse(os.Args[1:])
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/provider:", err)
		os.Exit(1)
	}
}

// bench is one run's Slipway: store, provider, engine and the API that
// receives signals.
type bench struct {
	st      store.Store
	p       *local.Provider
	reg     *resources.Registry
	svc     *engine.Service
	dataDir string
	cgRoot  string
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
	dir, err := os.MkdirTemp("", "slw-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b, stopAPI, err := start(ctx, dir, command)
	if err != nil {
		return err
	}
	defer stopAPI()
	defer func() {
		if err := b.p.Teardown(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "teardown:", err)
		}
	}()
	fmt.Fprintf(out, "# local provider through the engine: %d CPUs, GOMAXPROCS=%d, agent %s\n\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), command[0])

	base, err := b.stack(ctx, "base", baseTemplate, nil, nil)
	if err != nil {
		return fmt.Errorf("base network: %w", err)
	}
	subnet := base.Outputs[0].Value.(string)

	// 1. The server plugin alone: Create returns when the agent is up.
	plugin, _ := b.reg.Lookup("OS::Nova::Server")
	var active, del []time.Duration
	for i := range o.runs {
		r := &resources.Resource{Stack: resources.StackInfo{ID: "bench", Name: "bench", ProjectID: "bench"},
			Name: "server", Type: "OS::Nova::Server", PhysicalID: fmt.Sprintf("10000000-0000-4000-8000-%012d", i),
			Properties: map[string]any{"name": fmt.Sprintf("s-%d", i), "image": local.ImageName, "flavor": "m1.tiny",
				"user_data": "#!/bin/sh\ntrue\n", "networks": []any{map[string]any{"subnet": subnet}}}}
		t0 := time.Now()
		if _, err := plugin.Create(ctx, r); err != nil {
			return err
		}
		active = append(active, time.Since(t0))
		t0 = time.Now()
		if err := plugin.Delete(ctx, r); err != nil {
			return err
		}
		del = append(del, time.Since(t0))
	}
	fmt.Fprintf(out, "server create -> ACTIVE (plugin), %d runs:        %s   (target <= 300ms)\n", o.runs, measure.Summary(active))
	fmt.Fprintf(out, "server delete (plugin):                          %s\n", measure.Summary(del))

	// 2. A stack of one server that signals its wait condition.
	var signalled []time.Duration
	for i := range o.runs {
		t0 := time.Now()
		s, err := b.stack(ctx, fmt.Sprintf("one-%d", i), oneTemplate, map[string]string{"subnet": subnet}, nil)
		if err != nil {
			return err
		}
		signalled = append(signalled, time.Since(t0))
		if err := b.remove(ctx, s); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "stack of 1 server + wait condition -> COMPLETE: %s   (the agent signals with curl_cli)\n", measure.Summary(signalled))

	// 3. n servers in parallel, their memory, and the stack's delete.
	scopes := []leakcheck.Scope{leakcheck.NamespacedProcessesOnly(), leakcheck.CgroupsUnder(b.cgRoot),
		leakcheck.FilesUnder(filepath.Join(dir, "data", "provider"))}
	before, err := leakcheck.Snapshot(ctx, scopes...)
	if err != nil {
		return err
	}
	heap0 := heapInUse()
	t0 := time.Now()
	group, err := b.stack(ctx, "group", groupTemplate, map[string]string{"subnet": subnet, "count": strconv.Itoa(o.parallel)},
		map[string]string{"member.yaml": oneTemplate})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "stack of %d servers in parallel -> COMPLETE:     %s   (target <= 3s; every server signalled)\n", o.parallel, measure.Ms(time.Since(t0)))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(o.settle):
	}
	if err := b.memory(out, o.parallel, heapInUse()-heap0); err != nil {
		return err
	}
	t0 = time.Now()
	if err := b.remove(ctx, group); err != nil {
		return err
	}
	fmt.Fprintf(out, "delete of the %d-server stack:                   %s   (target <= 2s)\n", o.parallel, measure.Ms(time.Since(t0)))
	var diff []string
	for deadline := time.Now().Add(10 * time.Second); ; {
		after, err := leakcheck.Snapshot(ctx, scopes...)
		if err != nil {
			return err
		}
		if diff = leakcheck.Diff(before, after); len(diff) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(diff) > 0 {
		fmt.Fprintf(out, "leak check: %d differences\n  %s\n", len(diff), strings.Join(diff, "\n  "))
		return errors.New("leak check failed")
	}
	fmt.Fprintln(out, "leak check after the delete:                     clean")
	return b.remove(ctx, base)
}

// start opens the store, builds the provider and the engine, and serves
// the orchestration API where machines reach the host.
func start(ctx context.Context, dir string, command []string) (*bench, func(), error) {
	key, err := secrets.NewKey()
	if err != nil {
		return nil, nil, err
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		return nil, nil, err
	}
	st, err := storesql.Open(ctx, filepath.Join(dir, "slipway.db"), box)
	if err != nil {
		return nil, nil, err
	}
	quiet := slog.New(slog.DiscardHandler)
	b := &bench{st: st, dataDir: filepath.Join(dir, "data"), cgRoot: fmt.Sprintf("slipway-bench/%d", os.Getpid())}
	if b.p, err = local.New(ctx, local.Options{DataDir: b.dataDir, Store: local.Records(st), Log: quiet,
		NodeCommand: command, CgroupRoot: b.cgRoot}); err != nil {
		st.Close()
		return nil, nil, err
	}
	if _, err := b.p.Reconcile(ctx, map[string]bool{}); err != nil {
		st.Close()
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(b.p.HostAddress().String(), "0"))
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	b.reg = resources.NewRegistry("local")
	schema.Declare(b.reg)
	if err := heat.Register(b.reg); err != nil {
		st.Close()
		return nil, nil, err
	}
	if err := b.p.Register(b.reg); err != nil {
		st.Close()
		return nil, nil, err
	}
	b.svc = engine.New(st, b.reg, engine.Options{Log: quiet, PublicURL: "http://" + ln.Addr().String() + "/orchestration/v1"})
	heatAPI := orchestrationapi.New(b.svc, st, noTokens{}, orchestrationapi.Options{Prefix: "/orchestration", Log: quiet})
	srv := &http.Server{Handler: heatAPI, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return b, func() { _ = srv.Close(); st.Close() }, nil
}

// noTokens rejects every token: the benchmark's machines authenticate
// their signals with the resources' own signal tokens.
type noTokens struct{}

func (noTokens) Validate(context.Context, string) (*identity.Credentials, error) {
	return nil, model.Unauthorizedf("The request you have made requires authentication.")
}

var _ api.TokenValidator = noTokens{}

// stack creates a stack and converges it, returning it once complete.
func (b *bench) stack(ctx context.Context, name, tmpl string, params, files map[string]string) (*model.Stack, error) {
	s, err := b.svc.Create(ctx, engine.StackRequest{ProjectID: "bench", UserID: "bench", Name: name,
		Template: tmpl, Parameters: params, Files: files})
	if err != nil {
		return nil, err
	}
	if err := b.converge(ctx, s.UUID, "CREATE_COMPLETE"); err != nil {
		return nil, err
	}
	return b.svc.Get(ctx, s.UUID)
}

// remove deletes a stack and waits for the delete to complete.
func (b *bench) remove(ctx context.Context, s *model.Stack) error {
	if err := b.svc.Delete(ctx, s.UUID); err != nil {
		return err
	}
	return b.converge(ctx, s.UUID, "DELETE_COMPLETE")
}

// converge runs the engine on a stack, as a conductor does, until want.
func (b *bench) converge(ctx context.Context, id, want string) error {
	if err := b.svc.Reconcile(ctx, id, false); err != nil {
		return err
	}
	s, err := b.svc.Get(ctx, id)
	if err != nil {
		return err
	}
	if s.StackStatus() != want {
		return fmt.Errorf("stack %s is %s: %s", s.Name, s.StackStatus(), s.StatusReason)
	}
	if want == "CREATE_COMPLETE" {
		s, err := store.Get[model.Stack](ctx, b.st, id)
		if err == nil && len(s.Outputs) > 0 && s.Outputs[0].Error != "" {
			return fmt.Errorf("output %s: %s", s.Outputs[0].Key, s.Outputs[0].Error)
		}
	}
	return nil
}

// memory prints what the idle machines cost the host.
func (b *bench) memory(out io.Writer, n int, heap uint64) error {
	machines, err := os.ReadDir(filepath.Join(b.dataDir, "provider", "machines"))
	if err != nil {
		return err
	}
	var pss, rss, anon, cg []float64
	for _, m := range machines {
		pid, err := initPID(filepath.Join(b.dataDir, "provider", "machines", m.Name(), "init.json"))
		if err != nil {
			return err
		}
		p, r := measure.Smaps(pid)
		pss, rss, anon = append(pss, p), append(rss, r), append(anon, measure.RSSAnon(pid))
		for _, f := range []string{
			filepath.Join("/sys/fs/cgroup/memory", b.cgRoot, m.Name(), "memory.usage_in_bytes"),
			filepath.Join("/sys/fs/cgroup", b.cgRoot, m.Name(), "memory.current"),
		} {
			if data, err := os.ReadFile(f); err == nil {
				v, _ := strconv.ParseFloat(strings.TrimSpace(string(data)), 64)
				cg = append(cg, v/(1<<20))
				break
			}
		}
	}
	fmt.Fprintf(out, "idle machine memory (%d machines, MiB):\n", len(pss))
	fmt.Fprintf(out, "  agent RssAnon        %s   (the agent's own memory)\n", measure.Figures(anon))
	fmt.Fprintf(out, "  agent PSS            %s   (binary pages shared among the agents)\n", measure.Figures(pss))
	fmt.Fprintf(out, "  agent RSS            %s   (binary pages counted in full)\n", measure.Figures(rss))
	if len(cg) > 0 {
		fmt.Fprintf(out, "  cgroup charge        %s   (includes page cache the machine touched)\n", measure.Figures(cg))
	}
	fmt.Fprintf(out, "  Slipway heap         %.1f KiB per machine (engine, provider and store bookkeeping)\n",
		float64(heap)/1024/float64(max(n, 1)))
	if len(anon) > 0 {
		fmt.Fprintf(out, "  per machine          %.1f MiB = agent RssAnon + Slipway heap   (target <= 15 MiB)\n",
			measure.Mean(anon)+float64(heap)/(1<<20)/float64(max(n, 1)))
	}
	return nil
}

func heapInUse() uint64 {
	runtime.GC()
	var st runtime.MemStats
	runtime.ReadMemStats(&st)
	return st.HeapInuse
}

func initPID(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	i := strings.Index(string(data), `"pid":`)
	if i < 0 {
		return 0, fmt.Errorf("%s: no pid", path)
	}
	rest := strings.TrimLeft(string(data[i+6:]), " ")
	end := strings.IndexAny(rest, ",}\n")
	return strconv.Atoi(strings.TrimSpace(rest[:end]))
}
