package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/slipway/slipway/internal/api"
	identityapi "github.com/slipway/slipway/internal/api/identity"
	"github.com/slipway/slipway/internal/api/magnum"
	orchestrationapi "github.com/slipway/slipway/internal/api/orchestration"
	"github.com/slipway/slipway/internal/artifacts"
	"github.com/slipway/slipway/internal/artifacts/registry"
	"github.com/slipway/slipway/internal/conductor"
	"github.com/slipway/slipway/internal/driver"
	"github.com/slipway/slipway/internal/identity"
	"github.com/slipway/slipway/internal/identity/keystone"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/node"
	"github.com/slipway/slipway/internal/orchestration/engine"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/provider"
	"github.com/slipway/slipway/internal/secrets"
	"github.com/slipway/slipway/internal/store"
	storesql "github.com/slipway/slipway/internal/store/sql"
)

// Components are the concrete plugins a process uses; cmd/ chooses them.
type Components struct {
	Catalog provider.Catalog
	Drivers driver.Registry
	// Resources are the orchestration resource types: OS::Heat::* and the
	// provider's.
	Resources *resources.Registry
	// Providers are the infrastructure providers a process may run, by
	// the name --provider gives; the chosen one registers its types in
	// Resources at start.
	Providers map[string]ProviderFactory
	// DriverFactories build the drivers that need the process's engine,
	// store or artifacts, by coe; they join Drivers.
	DriverFactories map[string]DriverFactory
}

// DriverFactory builds a COE driver for a process.
type DriverFactory func(deps DriverDeps) (driver.Driver, error)

// DriverDeps is what a process hands the drivers it builds.
type DriverDeps struct {
	Store  store.Store
	Stacks *engine.Service
	// Servers reports the provider's servers as they are now.
	Servers provider.Servers
	// DataDir is the process's data directory.
	DataDir string
	// CacheDir is the host's artifacts cache.
	CacheDir string
	// Images is the embedded registry, for a version's images once built;
	// nil in a process that serves no API.
	Images artifacts.Publisher
	// MachineURL is where the provider's machines reach this process
	// (signals, the registry); empty when they cannot.
	MachineURL string
	Log        *slog.Logger
}

// Paths under which each API is served.
const (
	IdentityPrefix      = "/identity"
	MagnumPrefix        = "/container-infra"
	OrchestrationPrefix = "/orchestration"
)

// Running is a started Slipway process.
type Running struct {
	// URL is the root URL the API answers at.
	URL string
	// AuthURL is the identity v3 endpoint.
	AuthURL string
	// Bootstrap says whether this start created the admin user, and its
	// password if so.
	Bootstrap identity.BootstrapResult

	log      *slog.Logger
	http     *http.Server
	queue    *conductor.Queue
	closers  []func() error
	stopOnce chan struct{}
	served   chan error
	purge    context.CancelFunc
	// background are the goroutines Stop cancels (purge) and waits for
	// before it closes what they use.
	background sync.WaitGroup
	// machineLn is the API's listener where the provider's machines reach
	// this host, if it needs one of its own.
	machineLn net.Listener
}

// Start brings a Slipway process up and returns once it serves.
func Start(ctx context.Context, cfg Config, comps Components, log *slog.Logger) (*Running, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
	}
	run := &Running{log: log, stopOnce: make(chan struct{}), served: make(chan error, 1)}
	fail := func(err error) (*Running, error) {
		run.close()
		return nil, err
	}
	// A conductor owns its data directory's provider state; holding the
	// lock, it also knows that earlier runs' work claims are orphans.
	var predecessors, holder string
	if cfg.Mode != ModeAPI {
		lock, err := lockConductor(cfg.DataDir)
		if err != nil {
			return fail(err)
		}
		run.closers = append(run.closers, lock.Close)
		predecessors, holder = conductorIdentity(cfg.DataDir)
	}
	box, err := secretBox(cfg)
	if err != nil {
		return fail(err)
	}
	st, err := storesql.Open(ctx, cfg.dsn(), box)
	if err != nil {
		return fail(fmt.Errorf("open store: %w", err))
	}
	run.closers = append(run.closers, st.Close)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	var ln net.Listener
	if cfg.Mode != ModeConductor {
		ln, err = net.Listen("tcp", cfg.Listen)
		if err != nil {
			return fail(fmt.Errorf("listen on %s: %w", cfg.Listen, err))
		}
		run.closers = append(run.closers, func() error { _ = ln.Close(); return nil })
		run.URL = strings.TrimRight(cfg.PublicURL, "/")
		if run.URL == "" {
			run.URL = "http://" + ln.Addr().String()
		}
		run.AuthURL = run.URL + IdentityPrefix + "/v3"
	}

	idSvc := identity.New(st, identity.Options{
		TokenTTL: cfg.TokenTTL,
		Catalog: []identity.CatalogService{
			{Type: "identity", Name: "keystone", URL: run.URL + IdentityPrefix + "/v3"},
			{Type: "container-infra", Name: "magnum", URL: run.URL + MagnumPrefix + "/v1"},
			{Type: "orchestration", Name: "heat", URL: run.URL + OrchestrationPrefix + "/v1/{project_id}"},
		},
		Log: log,
	})

	prov, machineURL, err := startProvider(ctx, cfg, comps, st, run, ln, log)
	if err != nil {
		return fail(err)
	}
	engineURL := publicURL(cfg, run) + OrchestrationPrefix + "/v1"
	if machineURL != "" {
		// Signal URLs are for machines: they reach the API there.
		engineURL = machineURL + OrchestrationPrefix + "/v1"
	}

	eng := engine.New(st, comps.Resources, engine.Options{
		// The queue exists once the targets (this engine's among them) do.
		Enqueue: func(ctx context.Context, stackID string) error {
			return run.queue.Enqueue(ctx, model.KindStack, stackID)
		},
		PublicURL: engineURL,
		Log:       log,
	})
	var images *registry.Registry
	if cfg.Mode != ModeConductor {
		images, err = registry.New(registry.Options{
			StorageDir:    filepath.Join(cfg.DataDir, "registry"),
			Authenticator: registry.IdentityAuthenticator{Service: idSvc},
			Log:           log.With("component", "registry"),
		})
		if err != nil {
			return fail(err)
		}
		run.closers = append(run.closers, images.Close)
	}
	drivers, driverClosers, err := buildDrivers(comps, DriverDeps{Store: st, Stacks: eng, Servers: servers(prov), DataDir: cfg.DataDir, CacheDir: cfg.CacheDir,
		Images: publisherOf(images), MachineURL: machineURL, Log: log})
	if err != nil {
		return fail(err)
	}
	// Closed before the store, which their background work uses.
	run.closers = append(run.closers, driverClosers...)
	rec := conductor.NewReconciler(st, drivers, conductor.ReconcilerOptions{Log: log})
	qopts := conductor.QueueOptions{MaxAttempts: cfg.MaxAttempts, Log: log, Registerer: reg,
		Holder: holder, Predecessors: predecessors}
	if cfg.Mode != ModeAPI {
		qopts.Workers = cfg.Workers
	}
	run.queue, err = openQueue(ctx, cfg, st, []conductor.Target{rec.Target(), eng.Target()}, qopts, run)
	if err != nil {
		return fail(err)
	}
	if err := run.queue.Start(ctx); err != nil {
		return fail(err)
	}

	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	run.purge = stopBackground
	if cfg.Mode != ModeAPI {
		monitor := conductor.NewHealthMonitor(st, drivers, conductor.HealthOptions{Log: log})
		run.background.Go(func() { monitor.Run(bgCtx) })
	}
	if cfg.Mode == ModeConductor {
		log.Info("conductor started", "workers", cfg.Workers)
		return run, nil
	}

	res, err := idSvc.Bootstrap(ctx, identity.BootstrapOptions{AdminPassword: cfg.AdminPassword})
	if err != nil {
		return fail(err)
	}
	run.Bootstrap = res
	run.background.Go(func() { purgeTokens(bgCtx, idSvc, log) })

	var validator api.TokenValidator = idSvc
	if cfg.KeystoneURL != "" {
		validator = keystone.New(cfg.KeystoneURL, &http.Client{Timeout: 10 * time.Second})
	}
	metrics := api.NewMetrics(reg)
	host, _ := os.Hostname()
	magnumAPI := magnum.New(magnum.Deps{
		Store: st, Validator: validator, Catalog: comps.Catalog, Drivers: drivers,
		Queue: run.queue, Projects: idSvc,
	}, magnum.Options{Prefix: MagnumPrefix, AuthURI: run.AuthURL, ConductorHost: host, Log: log})

	mux := http.NewServeMux()
	mux.Handle(registry.Prefix, images)
	mux.Handle(IdentityPrefix+"/", api.Instrument("identity", log, metrics, api.WriteKeystoneError,
		http.StripPrefix(IdentityPrefix, identityapi.New(idSvc, identityapi.Options{BaseURL: run.URL + IdentityPrefix, Log: log}))))
	mux.Handle(MagnumPrefix+"/", api.Instrument("magnum", log, metrics, api.WriteMagnumError, magnumAPI))
	mux.Handle(MagnumPrefix, api.Instrument("magnum", log, metrics, api.WriteMagnumError, magnumAPI))
	heatAPI := orchestrationapi.New(eng, st, validator, orchestrationapi.Options{Prefix: OrchestrationPrefix, AuthURI: run.AuthURL, Log: log, Servers: servers(prov)})
	mux.Handle(OrchestrationPrefix+"/", api.Instrument("orchestration", log, metrics, api.WriteHeatError, heatAPI))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("GET "+node.IncludePrefix+"{token}", includeHandler(st, log))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status, code := "ready", http.StatusOK
		if err := st.Ping(ctx); err != nil {
			status, code = "store unavailable: "+err.Error(), http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"name": "Slipway", "status": status,
			"endpoints": map[string]string{
				"identity":        run.URL + IdentityPrefix + "/v3",
				"container-infra": run.URL + MagnumPrefix + "/v1",
				"orchestration":   run.URL + OrchestrationPrefix + "/v1",
			},
		})
	})
	run.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { run.served <- run.http.Serve(ln) }()
	run.background.Go(func() { publishImages(bgCtx, cfg.CacheDir, images, log) })
	if run.machineLn != nil {
		go func() {
			if err := run.http.Serve(run.machineLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("the API stopped serving machines", "address", run.machineLn.Addr().String(), "error", err)
			}
		}()
	}
	log.Info("slipway serving", "url", run.URL, "data_dir", cfg.DataDir, "database", dbKind(cfg))
	return run, nil
}

func dbKind(cfg Config) string {
	if cfg.Database != "" {
		return "postgres"
	}
	return "sqlite"
}

func secretBox(cfg Config) (*secrets.Box, error) {
	var key []byte
	var err error
	if cfg.SecretKey != "" {
		key, err = secrets.ParseKey(cfg.SecretKey)
	} else {
		key, err = secrets.LoadOrCreateKey(cfg.DataDir + "/secret.key")
	}
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return secrets.NewBox(key)
}

// openQueue opens the work queue on the store's database: a one-connection
// SQLite pool, as River wants there, or a pgx pool on PostgreSQL.
func openQueue(ctx context.Context, cfg Config, st *storesql.Store, targets []conductor.Target, opts conductor.QueueOptions, run *Running) (*conductor.Queue, error) {
	if cfg.Database != "" {
		pool, err := pgxpool.New(ctx, cfg.Database)
		if err != nil {
			return nil, fmt.Errorf("open work queue database: %w", err)
		}
		run.closers = append(run.closers, func() error { pool.Close(); return nil })
		return conductor.NewPostgresQueue(ctx, pool, st.DB(), st, targets, opts)
	}
	db, err := sql.Open("sqlite", cfg.sqlitePath()+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open work queue database: %w", err)
	}
	db.SetMaxOpenConns(1)
	run.closers = append(run.closers, db.Close)
	return conductor.NewSQLiteQueue(ctx, db, st, targets, opts)
}

func purgeTokens(ctx context.Context, svc *identity.Service, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := svc.PurgeExpired(ctx); err != nil {
				log.Warn("purge expired tokens", "error", err)
			}
		}
	}
}

// Wait blocks until the HTTP server stops on its own (an error) or ctx ends.
func (r *Running) Wait(ctx context.Context) error {
	if r.http == nil {
		<-ctx.Done()
		return nil
	}
	select {
	case err := <-r.served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		return nil
	}
}

// Stop shuts the process down: the API stops accepting requests, running
// work items are handed back to the queue, and the store is closed.
func (r *Running) Stop(ctx context.Context) error {
	var errs []error
	if r.http != nil {
		errs = append(errs, r.http.Shutdown(ctx))
	}
	if r.purge != nil {
		r.purge()
		r.background.Wait()
	}
	if r.queue != nil {
		errs = append(errs, r.queue.Stop(ctx))
	}
	errs = append(errs, r.close())
	return errors.Join(errs...)
}

func (r *Running) close() error {
	var errs []error
	for i := len(r.closers) - 1; i >= 0; i-- {
		errs = append(errs, r.closers[i]())
	}
	r.closers = nil
	return errors.Join(errs...)
}

// publicURL is where clients reach the API: the listener's URL, or in a
// conductor, which has no listener, the configured public URL.
func publicURL(cfg Config, run *Running) string {
	if run.URL != "" {
		return run.URL
	}
	return strings.TrimRight(cfg.PublicURL, "/")
}

// publishImages pushes the images of every cached Kubernetes version into
// the embedded registry. It builds nothing.
func publishImages(ctx context.Context, cacheDir string, reg *registry.Registry, log *slog.Logger) {
	cache, err := artifacts.New(artifacts.Options{Dir: cacheDir, Log: log})
	if err == nil {
		err = cache.PublishCached(ctx, reg)
	}
	if err != nil {
		log.Warn("cannot publish cached images", "error", err)
	}
}

// buildDrivers returns the process's COE drivers: the fixed ones and those
// its factories build, with the Close of each built one that is an
// io.Closer (what it runs in the background, such as cloud controllers).
// The fixed ones belong to the caller.
func buildDrivers(comps Components, deps DriverDeps) (driver.Registry, []func() error, error) {
	out := driver.Registry{}
	for coe, d := range comps.Drivers {
		out[coe] = d
	}
	var closers []func() error
	for coe, f := range comps.DriverFactories {
		d, err := f(deps)
		if err != nil {
			for _, c := range closers {
				_ = c()
			}
			return nil, nil, fmt.Errorf("start the %s driver: %w", coe, err)
		}
		out[coe] = d
		if c, ok := d.(io.Closer); ok {
			closers = append(closers, c.Close)
		}
	}
	return out, closers, nil
}

// publisherOf is reg as an image publisher, or nil.
func publisherOf(reg *registry.Registry) artifacts.Publisher {
	if reg == nil {
		return nil
	}
	return reg
}
