package conductor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// ReconcileFunc brings one object to the state it asks for. It returns nil
// when nothing (more) is to be done and a retryable error otherwise; with
// final set it must record a failure on the object instead of returning it.
// It runs under the object's lease.
type ReconcileFunc func(ctx context.Context, id string, final bool) error

// Target is a kind of object the conductors work on.
type Target struct {
	Kind      model.Kind
	Reconcile ReconcileFunc
	// InProgress lists the objects an operation is under way on, for the
	// sweep that finds work nobody holds.
	InProgress func(ctx context.Context) ([]string, error)
}

// workArgs is a work item: which object. The reconciler reads what to do
// from the object itself.
type workArgs struct {
	ObjectKind model.Kind `json:"kind"`
	ID         string     `json:"id"`
	// Sweeper names the conductor whose periodic sweep inserted the item;
	// such items are unique per object and sweeper, so a sweep never piles
	// them up, and a restarted conductor (a new sweeper) is never blocked
	// by an item its dead predecessor left running.
	Sweeper string `json:"sweeper,omitempty"`
}

// sweepStates are the states in which a sweep item blocks another for the
// same object: any not yet finished. A finished one must not block, or the
// object would never be swept again.
var sweepStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// Kind implements river.JobArgs.
func (workArgs) Kind() string { return "slipway.work" }

// QueueOptions tunes a Queue.
type QueueOptions struct {
	// Workers is how many work items run at once; 0 makes an insert-only
	// queue, as the split API process uses.
	Workers int
	// MaxAttempts is the delivery limit: after this many failed attempts the
	// operation is marked failed with its last error. Default 5.
	MaxAttempts int
	// RetryBase is the first retry delay; it doubles up to 30s. Default 1s.
	RetryBase time.Duration
	// PollInterval is how often idle workers look for work. Default 100ms.
	PollInterval time.Duration
	// ResyncInterval is how often the sweep looks for objects in progress
	// with nobody on them. Default 30s.
	ResyncInterval time.Duration
	// LeaseTTL is how long a claim on an object lasts without renewal; a
	// conductor that dies loses its claims after this. Default 15s.
	LeaseTTL time.Duration
	// Holder names this conductor in leases; default a random id.
	Holder string
	// Predecessors, if set, starts the Holder of every earlier run of this
	// conductor, and of no other conductor: a run that starts after a crash
	// takes over the claims the crashed run left at once, instead of waiting
	// LeaseTTL for them to expire. Holder must start with it but be unique
	// to this run. The caller guarantees that no earlier run is alive (the
	// server holds a lock on its data directory).
	Predecessors string
	Log          *slog.Logger
	Registerer   prometheus.Registerer
}

// Queue is the durable work queue between the API and the conductors.
type Queue struct {
	insert  func(ctx context.Context, args workArgs, opts *river.InsertOpts) error
	start   func(ctx context.Context) error
	stop    func(ctx context.Context) error
	depth   func(ctx context.Context) (int, error)
	targets map[model.Kind]Target
	opts    QueueOptions
	stopped chan struct{}
	cancel  context.CancelFunc
}

// NewSQLiteQueue returns a queue on a SQLite database. River wants a pool of
// one connection there; db must be such a pool. st holds the leases.
func NewSQLiteQueue(ctx context.Context, db *sql.DB, st store.Store, targets []Target, opts QueueOptions) (*Queue, error) {
	return newQueue(ctx, riversqlite.New(db), db, st, targets, opts)
}

// NewPostgresQueue returns a queue on a PostgreSQL database.
func NewPostgresQueue(ctx context.Context, pool *pgxpool.Pool, db *sql.DB, st store.Store, targets []Target, opts QueueOptions) (*Queue, error) {
	return newQueue(ctx, riverpgxv5.New(pool), db, st, targets, opts)
}

func newQueue[TTx any](ctx context.Context, drv riverdriver.Driver[TTx], db *sql.DB, st store.Store, targets []Target, opts QueueOptions) (*Queue, error) {
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = 5
	}
	if opts.RetryBase == 0 {
		opts.RetryBase = time.Second
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = 100 * time.Millisecond
	}
	if opts.ResyncInterval == 0 {
		opts.ResyncInterval = 30 * time.Second
	}
	if opts.LeaseTTL == 0 {
		opts.LeaseTTL = 15 * time.Second
	}
	if opts.Holder == "" {
		opts.Holder = "conductor-" + uuid.NewString()[:8]
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	migrator, err := rivermigrate.New(drv, &rivermigrate.Config{Logger: discardLogger()})
	if err != nil {
		return nil, fmt.Errorf("work queue migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("migrate work queue: %w", err)
	}
	cfg := &river.Config{
		Logger:               discardLogger(),
		MaxAttempts:          opts.MaxAttempts,
		RetryPolicy:          &doublingRetry{base: opts.RetryBase, max: 30 * time.Second},
		FetchPollInterval:    opts.PollInterval,
		FetchCooldown:        opts.PollInterval / 4,
		JobTimeout:           -1,
		RescueStuckJobsAfter: time.Minute,
	}
	outcomes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "slipway_work_items_total",
		Help: "Work items finished, by kind and outcome (done, retry, busy, failed).",
	}, []string{"kind", "outcome"})
	q := &Queue{targets: map[model.Kind]Target{}, opts: opts}
	for _, t := range targets {
		q.targets[t.Kind] = t
	}
	if opts.Workers > 0 {
		workers := river.NewWorkers()
		river.AddWorker(workers, &worker{
			targets: q.targets,
			leases: &leases{st: st, prefix: opts.Holder, predecessors: opts.Predecessors,
				ttl: opts.LeaseTTL, now: time.Now},
			outcomes: outcomes,
		})
		cfg.Workers = workers
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.Workers}}
	}
	client, err := river.NewClient(drv, cfg)
	if err != nil {
		return nil, fmt.Errorf("work queue client: %w", err)
	}
	q.insert = func(ctx context.Context, args workArgs, io *river.InsertOpts) error {
		_, err := client.Insert(ctx, args, io)
		return err
	}
	q.start, q.stop = client.Start, client.StopAndCancel
	q.depth = func(ctx context.Context) (int, error) {
		var n int
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE state IN ('available','pending','retryable','running','scheduled')`).Scan(&n)
		return n, err
	}
	if opts.Registerer != nil {
		depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "slipway_queue_depth",
			Help: "Work items waiting or running.",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			n, err := q.depth(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		})
		opts.Registerer.MustRegister(outcomes, depth)
	}
	return q, nil
}

// Enqueue asks a conductor to bring an object to the state it asks for.
// Delivery is at least once; a per-object lease makes sure only one
// conductor works an object at a time.
func (q *Queue) Enqueue(ctx context.Context, kind model.Kind, id string) error {
	if err := q.insert(ctx, workArgs{ObjectKind: kind, ID: id}, nil); err != nil {
		return fmt.Errorf("enqueue %s %s: %w", kind, id, err)
	}
	return nil
}

// EnqueueCluster enqueues work on a cluster.
func (q *Queue) EnqueueCluster(ctx context.Context, clusterID string) error {
	return q.Enqueue(ctx, model.KindCluster, clusterID)
}

// Start starts the workers and the sweep that finds objects in progress
// with no work item (after a crash, or an enqueue that failed).
func (q *Queue) Start(ctx context.Context) error {
	if err := q.start(ctx); err != nil {
		return fmt.Errorf("start work queue: %w", err)
	}
	if q.opts.Workers == 0 {
		return nil
	}
	ctx, q.cancel = context.WithCancel(context.WithoutCancel(ctx))
	q.stopped = make(chan struct{})
	go func() {
		defer close(q.stopped)
		t := time.NewTicker(q.opts.ResyncInterval)
		defer t.Stop()
		for {
			if err := q.Resync(ctx); err != nil && ctx.Err() == nil {
				q.opts.Log.Warn("work queue resync failed", "error", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return nil
}

// Resync inserts a work item for every object in progress. Items it inserts
// are unique per object, so running it often does no harm.
func (q *Queue) Resync(ctx context.Context) error {
	var errs []error
	for kind, t := range q.targets {
		if t.InProgress == nil {
			continue
		}
		ids, err := t.InProgress(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, id := range ids {
			err := q.insert(ctx, workArgs{ObjectKind: kind, ID: id, Sweeper: q.opts.Holder}, &river.InsertOpts{
				UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: sweepStates},
			})
			if err != nil {
				errs = append(errs, fmt.Errorf("resync %s %s: %w", kind, id, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Stop stops the workers. Running work items are cancelled and handed back
// to the queue untouched, so the next start resumes them: a long operation
// never holds a shutdown up.
func (q *Queue) Stop(ctx context.Context) error {
	if q.cancel != nil {
		q.cancel()
		<-q.stopped
	}
	return q.stop(ctx)
}

// Depth returns how many work items wait or run.
func (q *Queue) Depth(ctx context.Context) (int, error) { return q.depth(ctx) }

type worker struct {
	river.WorkerDefaults[workArgs]
	targets  map[model.Kind]Target
	leases   *leases
	outcomes *prometheus.CounterVec
}

// Work implements river.Worker: it claims the object and runs its
// reconciler under the claim.
func (w *worker) Work(ctx context.Context, job *river.Job[workArgs]) error {
	kind := string(job.Args.ObjectKind)
	t, ok := w.targets[job.Args.ObjectKind]
	if !ok {
		w.outcomes.WithLabelValues(kind, "failed").Inc()
		return river.JobCancel(fmt.Errorf("no reconciler for %s", kind))
	}
	err := w.underLease(ctx, job.Args.ObjectKind, job.Args.ID, func(ctx context.Context) error {
		return t.Reconcile(ctx, job.Args.ID, job.Attempt >= job.MaxAttempts)
	})
	switch {
	case err == nil:
		w.outcomes.WithLabelValues(kind, "done").Inc()
		return nil
	case errors.Is(err, errLeaseHeld):
		w.outcomes.WithLabelValues(kind, "busy").Inc()
		return river.JobSnooze(time.Second)
	case ctx.Err() != nil:
		// Shutting down: hand the item back untouched for the next start.
		return river.JobSnooze(0)
	}
	w.outcomes.WithLabelValues(kind, "retry").Inc()
	return err
}

func (w *worker) underLease(ctx context.Context, kind model.Kind, id string, fn func(context.Context) error) error {
	leaseID, holder := model.LeaseID(kind, id), w.leases.holder()
	if err := w.leases.acquire(ctx, leaseID, holder); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go w.leases.keep(ctx, leaseID, holder, cancel)
	defer w.leases.release(context.WithoutCancel(ctx), leaseID, holder)
	return fn(ctx)
}

// doublingRetry retries after base, 2·base, 4·base … up to max.
type doublingRetry struct{ base, max time.Duration }

// NextRetry implements river.ClientRetryPolicy.
func (p *doublingRetry) NextRetry(job *rivertype.JobRow) time.Time {
	d := p.base
	for i := 1; i < job.Attempt && d < p.max; i++ {
		d *= 2
	}
	return time.Now().Add(min(d, p.max))
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// inProgressClusters lists the clusters an operation is under way on.
func (r *Reconciler) inProgressClusters(ctx context.Context) ([]string, error) {
	clusters, err := store.List[model.Cluster](ctx, r.st, store.Query{})
	if err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	var ids []string
	for _, c := range clusters {
		if c.Status.InProgress() {
			ids = append(ids, c.UUID)
		}
	}
	return ids, nil
}
