package conductor

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"

	"github.com/slipway/slipway/internal/driver"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// monitorDriver answers health checks as told and counts them.
type monitorDriver struct {
	mu      sync.Mutex
	status  model.HealthStatus
	reasons map[string]string
	err     error
	checked map[string]int
}

func (d *monitorDriver) Apply(context.Context, *driver.Scope) error  { return nil }
func (d *monitorDriver) Delete(context.Context, *driver.Scope) error { return nil }

func (d *monitorDriver) Health(_ context.Context, s *driver.Scope) (model.HealthStatus, map[string]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.checked[s.Cluster.UUID]++
	return d.status, maps.Clone(d.reasons), d.err
}

func (d *monitorDriver) set(status model.HealthStatus, reasons map[string]string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.status, d.reasons, d.err = status, reasons, err
}

func TestHealthMonitorRecordsWhatTheDriverSees(t *testing.T) {
	st := newStore(t)
	ctx := t.Context()
	running := seed(t, st, model.CreateComplete, nil)
	creating := seed(t, st, model.CreateInProgress, nil)
	d := &monitorDriver{checked: map[string]int{}}
	m := NewHealthMonitor(st, driver.Registry{"kubernetes": d}, HealthOptions{})

	d.set(model.HealthHealthy, map[string]string{"api": "ok", "n0.Ready": "True"}, nil)
	m.CheckAll(ctx)
	got, err := store.Get[model.Cluster](ctx, st, running.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if got.HealthStatus != model.HealthHealthy || got.HealthStatusReason["n0.Ready"] != "True" {
		t.Errorf("health = %s %v, want HEALTHY with the node's reason", got.HealthStatus, got.HealthStatusReason)
	}
	if d.checked[creating.UUID] != 0 {
		t.Error("a cluster still being created was checked")
	}

	d.set(model.HealthUnhealthy, map[string]string{"api": "connection refused"}, nil)
	m.CheckAll(ctx)
	got, _ = store.Get[model.Cluster](ctx, st, running.UUID)
	if got.HealthStatus != model.HealthUnhealthy || got.HealthStatusReason["api"] != "connection refused" {
		t.Errorf("health = %s %v, want UNHEALTHY with the API's reason", got.HealthStatus, got.HealthStatusReason)
	}

	d.set("", nil, errors.New("no state"))
	m.CheckAll(ctx)
	got, _ = store.Get[model.Cluster](ctx, st, running.UUID)
	if got.HealthStatus != model.HealthUnknown || got.HealthStatusReason["monitor"] != "no state" {
		t.Errorf("health = %s %v, want UNKNOWN saying why", got.HealthStatus, got.HealthStatusReason)
	}

	// An unchanged answer writes nothing.
	rev := got.Revision
	m.CheckAll(ctx)
	got, _ = store.Get[model.Cluster](ctx, st, running.UUID)
	if got.Revision != rev {
		t.Errorf("an unchanged health was written again (revision %d → %d)", rev, got.Revision)
	}
}

// TestHealthMonitorChecksACompletedClusterAtOnce checks that a cluster
// whose operation completes is checked on the next prompt pass, not at the
// next full one, and only once.
func TestHealthMonitorChecksACompletedClusterAtOnce(t *testing.T) {
	st := newStore(t)
	ctx := t.Context()
	c := seed(t, st, model.CreateInProgress, nil)
	d := &monitorDriver{checked: map[string]int{}}
	d.set(model.HealthHealthy, map[string]string{"api": "ok"}, nil)
	m := NewHealthMonitor(st, driver.Registry{"kubernetes": d}, HealthOptions{})
	m.CheckAll(ctx)
	m.CheckChanged(ctx)
	if n := d.checked[c.UUID]; n != 0 {
		t.Fatalf("a cluster being created was checked %d times", n)
	}

	c, err := store.Get[model.Cluster](ctx, st, c.UUID)
	if err != nil {
		t.Fatal(err)
	}
	c.Status = model.CreateComplete
	if err := st.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	m.CheckChanged(ctx)
	got, _ := store.Get[model.Cluster](ctx, st, c.UUID)
	if d.checked[c.UUID] != 1 || got.HealthStatus != model.HealthHealthy {
		t.Fatalf("after CREATE_COMPLETE: %d checks, health %q; want 1 check, HEALTHY", d.checked[c.UUID], got.HealthStatus)
	}
	m.CheckChanged(ctx)
	m.CheckChanged(ctx)
	if n := d.checked[c.UUID]; n != 1 {
		t.Errorf("an unchanged cluster was checked again by the prompt pass: %d checks", n)
	}
}
