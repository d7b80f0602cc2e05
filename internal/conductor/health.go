package conductor

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/driver"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// HealthOptions tunes a HealthMonitor.
type HealthOptions struct {
	// Interval is how often every cluster is checked. Default 10s.
	Interval time.Duration
	// Timeout bounds one cluster's check. Default 5s.
	Timeout time.Duration
	// Concurrency bounds the checks running at once. Default 8.
	Concurrency int
	// PromptInterval is how often the monitor looks for clusters whose
	// operation has just completed, to check them at once rather than at
	// the next Interval. Default 1s.
	PromptInterval time.Duration
	Log            *slog.Logger
}

// HealthMonitor keeps health_status and health_status_reason of running
// clusters current: every interval it asks each cluster's driver (if it is
// a driver.Monitor) and records what changed.
type HealthMonitor struct {
	st      store.Store
	drivers driver.Registry
	opts    HealthOptions

	mu sync.Mutex
	// seen is each cluster's status when the monitor last listed it, and
	// gen the clusters' store generation then (-1: unknown).
	seen map[string]model.Status
	gen  int64
}

// NewHealthMonitor returns a monitor over st.
func NewHealthMonitor(st store.Store, drivers driver.Registry, opts HealthOptions) *HealthMonitor {
	if opts.Interval <= 0 {
		opts.Interval = 10 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.PromptInterval <= 0 {
		opts.PromptInterval = time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &HealthMonitor{st: st, drivers: drivers, opts: opts, seen: map[string]model.Status{}, gen: -1}
}

// Run checks every cluster every Interval, and a cluster whose operation
// has just completed within PromptInterval, until ctx ends.
func (h *HealthMonitor) Run(ctx context.Context) {
	full := time.NewTicker(h.opts.Interval)
	defer full.Stop()
	prompt := time.NewTicker(h.opts.PromptInterval)
	defer prompt.Stop()
	h.CheckAll(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-full.C:
			h.CheckAll(ctx)
		case <-prompt.C:
			h.CheckChanged(ctx)
		}
	}
}

// monitored reports whether a cluster in status s is checked: its last
// operation completed, so it should be running.
func monitored(s model.Status) bool {
	switch s {
	case model.CreateComplete, model.UpdateComplete, model.ResumeComplete, model.RestoreComplete, model.RollbackComplete, model.CheckComplete, model.AdoptComplete:
		return true
	}
	return false
}

// CheckAll checks every running cluster once.
func (h *HealthMonitor) CheckAll(ctx context.Context) {
	h.checkWhere(ctx, false)
}

// CheckChanged checks the running clusters whose status changed since the
// monitor last listed the clusters: those whose operation has just
// completed. It lists nothing when no cluster was written since.
func (h *HealthMonitor) CheckChanged(ctx context.Context) {
	h.checkWhere(ctx, true)
}

func (h *HealthMonitor) checkWhere(ctx context.Context, changedOnly bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	gen := int64(-1)
	if g, ok := h.st.(store.Generations); ok {
		if n, err := g.Generation(ctx, model.KindCluster); err == nil {
			gen = n
		}
	}
	if changedOnly && gen >= 0 && gen == h.gen {
		return
	}
	clusters, err := store.List[model.Cluster](ctx, h.st, store.Query{})
	if err != nil {
		h.opts.Log.Warn("health monitor: list clusters", "error", err)
		return
	}
	seen := make(map[string]model.Status, len(clusters))
	for _, c := range clusters {
		seen[c.UUID] = c.Status
	}
	before := h.seen
	h.seen, h.gen = seen, gen
	sem := make(chan struct{}, h.opts.Concurrency)
	var wg sync.WaitGroup
	for _, c := range clusters {
		if !monitored(c.Status) || changedOnly && before[c.UUID] == c.Status {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			h.check(ctx, c)
		})
	}
	wg.Wait()
}

func (h *HealthMonitor) check(ctx context.Context, c *model.Cluster) {
	tmpl, err := store.Get[model.ClusterTemplate](ctx, h.st, c.ClusterTemplateID)
	if err != nil {
		return
	}
	d, ok := h.drivers.Lookup(tmpl.COE)
	if !ok {
		return
	}
	m, ok := d.(driver.Monitor)
	if !ok {
		return
	}
	ngs, err := store.List[model.NodeGroup](ctx, h.st, store.Query{Parent: c.UUID})
	if err != nil {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, h.opts.Timeout)
	status, reason, err := m.Health(cctx, &driver.Scope{Cluster: c, Template: tmpl, NodeGroups: ngs, Progress: func(string) {}})
	cancel()
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		status, reason = model.HealthUnknown, map[string]string{"monitor": err.Error()}
	}
	if c.HealthStatus == status && maps.Equal(c.HealthStatusReason, reason) {
		return
	}
	c.HealthStatus, c.HealthStatusReason = status, reason
	if err := h.st.Update(ctx, c); err != nil && !errors.Is(err, store.ErrRevisionMismatch) && !errors.Is(err, store.ErrNotFound) {
		h.opts.Log.Warn("health monitor: record health", "cluster", c.UUID, "error", err)
		return
	}
	h.opts.Log.Info("cluster health changed", "cluster", c.UUID, "health", status)
}
