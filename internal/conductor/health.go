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
	Log         *slog.Logger
}

// HealthMonitor keeps health_status and health_status_reason of running
// clusters current: every interval it asks each cluster's driver (if it is
// a driver.Monitor) and records what changed.
type HealthMonitor struct {
	st      store.Store
	drivers driver.Registry
	opts    HealthOptions
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
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &HealthMonitor{st: st, drivers: drivers, opts: opts}
}

// Run checks every interval until ctx ends.
func (h *HealthMonitor) Run(ctx context.Context) {
	t := time.NewTicker(h.opts.Interval)
	defer t.Stop()
	for {
		h.CheckAll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
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
	clusters, err := store.List[model.Cluster](ctx, h.st, store.Query{})
	if err != nil {
		h.opts.Log.Warn("health monitor: list clusters", "error", err)
		return
	}
	sem := make(chan struct{}, h.opts.Concurrency)
	var wg sync.WaitGroup
	for _, c := range clusters {
		if !monitored(c.Status) {
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
