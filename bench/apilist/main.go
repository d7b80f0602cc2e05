package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command line.
type options struct {
	bin        string
	inProcess  bool
	pgAdmin    string
	clusters   int
	duration   time.Duration
	warmup     time.Duration
	settle     time.Duration
	conns      []int
	wrk        string
	scenarios  []string
	cpuProfile string
	memProfile string
	keep       bool
	quiet      float64
	quietWait  time.Duration
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "apilist:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "apilist:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("apilist", flag.ContinueOnError)
	fs.StringVar(&o.bin, "bin", "bin/slipway", "slipway binary to run as `slipway serve`")
	fs.BoolVar(&o.inProcess, "in-process", false, "run the server in this process instead of -bin (for -cpuprofile; no memory figures)")
	fs.StringVar(&o.pgAdmin, "db", "", "PostgreSQL URL of a role that may create databases: benchmark PostgreSQL in a fresh database (dropped afterwards) instead of SQLite")
	fs.IntVar(&o.clusters, "clusters", 1000, "clusters to store")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each measured load run")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load before each request's runs")
	fs.DurationVar(&o.settle, "settle", 3*time.Second, "wait after a start before reading idle memory")
	connsFlag := fs.String("conns", "1,4,16", "comma-separated connection counts to run at")
	fs.StringVar(&o.wrk, "wrk", "auto", "wrk binary: auto finds it on PATH, none skips wrk")
	scen := fs.String("scenarios", strings.Join(scenarioNames(), ","), "comma-separated requests to measure")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the load runs to this file (needs -in-process)")
	fs.StringVar(&o.memProfile, "memprofile", "", "write an allocation profile to this file at the end (needs -in-process)")
	fs.Float64Var(&o.quiet, "quiet", 0.2, "before each run, wait until other processes use fewer than this many CPUs")
	fs.DurationVar(&o.quietWait, "quiet-wait", 30*time.Second, "longest wait for a quiet machine before each run (0: do not wait)")
	fs.BoolVar(&o.keep, "keep", false, "keep the data directory and the PostgreSQL database")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	for _, s := range strings.Split(*connsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return o, fmt.Errorf("-conns: %q is not a positive number", s)
		}
		o.conns = append(o.conns, n)
	}
	for _, s := range strings.Split(*scen, ",") {
		s = strings.TrimSpace(s)
		if _, ok := findScenario(s); !ok {
			return o, fmt.Errorf("-scenarios: unknown %q (known: %s)", s, strings.Join(scenarioNames(), ", "))
		}
		o.scenarios = append(o.scenarios, s)
	}
	if (o.cpuProfile != "" || o.memProfile != "") && !o.inProcess {
		return o, errors.New("-cpuprofile and -memprofile need -in-process")
	}
	if o.clusters < 50 {
		return o, errors.New("-clusters must be at least 50, the page size measured")
	}
	switch o.wrk {
	case "none":
		o.wrk = ""
	case "auto":
		o.wrk, _ = exec.LookPath("wrk")
	}
	if o.inProcess {
		o.bin = ""
	}
	return o, nil
}

// scenario is one request the benchmark measures.
type scenario struct {
	Name string
	// Path follows the Magnum API's root.
	Path string
	// Member sends it as the project member rather than the admin.
	Member bool
	// Page is the number of clusters the answer holds, or 0 for all.
	Page int
}

var scenarios = []scenario{
	{Name: "list", Path: "/clusters"},
	{Name: "page50", Path: "/clusters?limit=50", Page: 50},
	{Name: "detail", Path: "/clusters/detail"},
	{Name: "member", Path: "/clusters", Member: true},
}

func scenarioNames() []string {
	out := make([]string, len(scenarios))
	for i, s := range scenarios {
		out[i] = s.Name
	}
	return out
}

func findScenario(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// describe says what request s sends, as the report shows it.
func (s scenario) describe() string {
	who := "admin"
	if s.Member {
		who = "member"
	}
	return "GET /v1" + s.Path + " (" + who + ")"
}

// adminPassword and memberPassword are the benchmark users' passwords.
const (
	adminPassword  = "slipway-bench-admin"
	memberName     = "bench-member"
	memberPassword = "slipway-bench-member"
)

// run carries out the whole benchmark and writes its report to out. The
// data directory, with the server's log, stays when it fails.
func run(ctx context.Context, o options, out, errOut io.Writer) (err error) {
	logf := func(format string, args ...any) { fmt.Fprintf(errOut, "apilist: "+format+"\n", args...) }
	dataDir, err := os.MkdirTemp("", "slipway-bench-")
	if err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	defer func() {
		if o.keep || err != nil {
			logf("data directory %s (kept)", dataDir)
			return
		}
		if rerr := os.RemoveAll(dataDir); rerr != nil {
			logf("%v", rerr)
		}
	}()
	rep := &report{Backend: "sqlite", Clusters: o.clusters, Duration: o.duration, InProcess: o.inProcess,
		Bin: o.bin, Wrk: o.wrk}
	var (
		db  *database
		dsn string
	)
	if o.pgAdmin != "" {
		rep.Backend = "postgres"
		db, err = createDatabase(ctx, o.pgAdmin)
		if err != nil {
			return err
		}
		dsn = db.DSN
		if o.keep {
			logf("database %s (kept)", dsn)
		} else {
			defer func() {
				if err := db.Drop(); err != nil {
					logf("%v", err)
				}
			}()
		}
	}
	logPath := filepath.Join(dataDir, "serve.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("create server log: %w", err)
	}
	defer logFile.Close()
	sopts := serveOptions{Bin: o.bin, DataDir: dataDir, Database: dsn, AdminPassword: adminPassword,
		Log: logFile, LogPath: logPath}

	// First start: bootstrap, template and member through the APIs.
	logf("%s: first start, bootstrap", rep.Backend)
	srv, err := startSlipway(ctx, sopts)
	if err != nil {
		return err
	}
	rep.IdleFresh, err = idleMemory(ctx, srv, o.settle)
	if err != nil {
		return errors.Join(err, stopSlipway(srv))
	}
	api := &apiClient{base: srv.URL(), hc: &http.Client{Timeout: requestTimeout}}
	admin, err := api.login(ctx, "admin", adminPassword, "admin")
	if err == nil {
		err = api.createMember(ctx, admin, memberName, memberPassword, admin.ProjectID)
	}
	if err != nil {
		return errors.Join(err, stopSlipway(srv))
	}
	tmpl, err := api.createTemplate(ctx, admin)
	if err != nil {
		return errors.Join(err, stopSlipway(srv))
	}
	if err := stopSlipway(srv); err != nil {
		return err
	}

	logf("%s: storing %d clusters", rep.Backend, o.clusters)
	began := time.Now()
	if err := seedClusters(ctx, dataDir, dsn, o.clusters, seedOwner{ProjectID: admin.ProjectID, UserID: admin.UserID}, tmpl.UUID); err != nil {
		return err
	}
	rep.SeedTime = time.Since(began)

	logf("%s: second start, measuring", rep.Backend)
	srv, err = startSlipway(ctx, sopts)
	if err != nil {
		return err
	}
	err = measure(ctx, o, srv, db, rep, logf)
	if serr := stopSlipway(srv); serr != nil {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return err
	}
	return rep.write(out)
}

// measure runs every scenario against the started, seeded server srv,
// whose database is db on PostgreSQL, nil on SQLite.
func measure(ctx context.Context, o options, srv slipway, db *database, rep *report, logf func(string, ...any)) error {
	var err error
	rep.IdleSeeded, err = idleMemory(ctx, srv, o.settle)
	if err != nil {
		return err
	}
	api := &apiClient{base: srv.URL(), hc: &http.Client{Timeout: requestTimeout}}
	admin, err := api.login(ctx, "admin", adminPassword, "admin")
	if err != nil {
		return err
	}
	member, err := api.login(ctx, memberName, memberPassword, "admin")
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("create CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("start CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	clients := []string{"go"}
	if o.wrk != "" {
		clients = append(clients, "wrk")
	}
	for _, name := range o.scenarios {
		sc, _ := findScenario(name)
		t := loadTarget{URL: srv.URL() + magnumPath + sc.Path, Token: admin.Token}
		if sc.Member {
			t.Token = member.Token
		}
		body, err := check(ctx, t, sc, o.clusters)
		if err != nil {
			return err
		}
		rep.Bodies = append(rep.Bodies, bodySize{Scenario: sc, Bytes: body})
		if _, err := runLoad(ctx, t, o.conns[len(o.conns)-1], o.warmup); err != nil {
			return fmt.Errorf("warm up %s: %w", sc.describe(), err)
		}
		for _, client := range clients {
			for _, c := range o.conns {
				logf("%s: %s, %s client, %d connections", rep.Backend, sc.describe(), client, c)
				r, err := measureRun(ctx, o, srv, db, t, client, c, logf)
				if err != nil {
					return err
				}
				r.Scenario = sc
				rep.Rows = append(rep.Rows, r)
			}
		}
	}
	if srv.PID() != 0 {
		m, err := readMemory(ctx, srv.PID(), srv.URL())
		if err != nil {
			return err
		}
		rep.AfterLoad = &m
	}
	if o.memProfile != "" {
		f, err := os.Create(o.memProfile)
		if err != nil {
			return fmt.Errorf("create allocation profile: %w", err)
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return fmt.Errorf("write allocation profile: %w", err)
		}
	}
	return nil
}

// measureRun waits for the machine to be quiet, then runs one load on t
// with client ("go" or "wrk") at conns connections, and accounts for the
// CPU time the server, its PostgreSQL backends (when db is set), the client
// and everything else used meanwhile.
func measureRun(ctx context.Context, o options, srv slipway, db *database, t loadTarget, client string, conns int, logf func(string, ...any)) (row, error) {
	r := row{Client: client, Conns: conns}
	if o.quietWait > 0 {
		busy, err := waitQuiet(ctx, o.quiet, o.quietWait)
		if err != nil {
			return r, err
		}
		if busy >= o.quiet {
			logf("the machine is still busy (%.2f CPUs used by others); measuring anyway", busy)
		}
	}
	before, err := snapshotCPU(ctx, srv.PID(), db)
	if err != nil {
		return r, err
	}
	if client == "wrk" {
		wr, err := runWrk(ctx, o.wrk, t, conns, o.duration)
		if err != nil {
			return r, err
		}
		r.stats, r.ClientCPU = wr.stats, wr.CPU
	} else {
		r.stats, err = runLoad(ctx, t, conns, o.duration)
		if err != nil {
			return r, err
		}
	}
	after, err := snapshotCPU(ctx, srv.PID(), db)
	if err != nil {
		return r, err
	}
	self := after.self - before.self
	if srv.PID() == 0 {
		// The server runs in this process: its CPU time is ours.
		r.ServerCPU = self
	} else {
		r.ServerCPU = after.server - before.server
		r.ClientCPU += self
	}
	if db != nil {
		// The server's pool keeps 8 idle connections: past 8 concurrent
		// requests it opens and closes backends, whose time is lost.
		r.DBChurn = !slices.Equal(before.backends, after.backends)
		if !r.DBChurn {
			r.DBCPU = after.db - before.db
		}
	}
	r.OtherCPU = max(0, (after.machine-before.machine)-r.ServerCPU-r.DBCPU-r.ClientCPU)
	r.Wall = after.at.Sub(before.at)
	return r, nil
}

// check fetches t once and makes sure the answer lists the clusters sc
// expects of the n stored. It returns the size of the body.
func check(ctx context.Context, t loadTarget, sc scenario, n int) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
	if err != nil {
		return 0, fmt.Errorf("check %s: %w", sc.describe(), err)
	}
	req.Header.Set("X-Auth-Token", t.Token)
	resp, err := (&http.Client{Timeout: requestTimeout}).Do(req)
	if err != nil {
		return 0, fmt.Errorf("check %s: %w", sc.describe(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("check %s: %w", sc.describe(), err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("check %s: status %d: %s", sc.describe(), resp.StatusCode, b)
	}
	var list struct {
		Clusters []json.RawMessage `json:"clusters"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return 0, fmt.Errorf("check %s: decode: %w", sc.describe(), err)
	}
	want := n
	if sc.Page > 0 {
		want = sc.Page
	}
	if len(list.Clusters) != want {
		return 0, fmt.Errorf("check %s: %d clusters in the answer, want %d", sc.describe(), len(list.Clusters), want)
	}
	return len(b), nil
}

// idleMemory waits for settle, then reads the memory of srv's process, or
// returns nil when srv shares this process.
func idleMemory(ctx context.Context, srv slipway, settle time.Duration) (*memory, error) {
	if srv.PID() == 0 {
		return nil, nil
	}
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	m, err := readMemory(ctx, srv.PID(), srv.URL())
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// stopSlipway stops srv, waiting at most 30 seconds.
func stopSlipway(srv slipway) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return srv.Stop(ctx)
}
