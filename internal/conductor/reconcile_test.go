package conductor

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/driver"
	"github.com/slipway/slipway/internal/driver/drivertest"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/secrets"
	"github.com/slipway/slipway/internal/store"
	storesql "github.com/slipway/slipway/internal/store/sql"
)

func newStore(t *testing.T) store.Store {
	t.Helper()
	key, err := secrets.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := storesql.Open(t.Context(), filepath.Join(t.TempDir(), "db"), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// seed stores a template, a cluster in status and its two nodegroups.
func seed(t *testing.T, st store.Store, status model.Status, labels map[string]string) *model.Cluster {
	t.Helper()
	ctx := t.Context()
	tmpl := &model.ClusterTemplate{Name: "t", COE: "kubernetes", ImageID: "slipway-node", ServerType: "vm"}
	if err := st.Create(ctx, tmpl); err != nil {
		t.Fatal(err)
	}
	c := &model.Cluster{Name: "c", ProjectID: "p", ClusterTemplateID: tmpl.UUID, Status: status, Labels: labels}
	if err := st.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, ng := range []*model.NodeGroup{
		{Name: model.DefaultMasterNodeGroup, Role: model.RoleMaster, NodeCount: 1, IsDefault: true},
		{Name: model.DefaultWorkerNodeGroup, Role: model.RoleWorker, NodeCount: 2, IsDefault: true},
	} {
		ng.ClusterID, ng.ProjectID, ng.Status = c.UUID, "p", status
		if err := st.Create(ctx, ng); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutSecret(ctx, ClusterSecretPrefix(c.UUID)+"ca/kubernetes.key", []byte("k")); err != nil {
		t.Fatal(err)
	}
	return c
}

func reconcileTwice(t *testing.T, r *Reconciler, id string, final bool) (error, error) {
	t.Helper()
	return r.ReconcileCluster(t.Context(), id, final), r.ReconcileCluster(t.Context(), id, final)
}

func TestReconcileClusterIsIdempotent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      model.Status
		labels      map[string]string
		final       bool
		wantStatus  model.Status // "" means deleted
		wantReason  string
		wantApplies int
		wantDeletes int
		wantErr     bool
	}{
		{name: "create completes", status: model.CreateInProgress, wantStatus: model.CreateComplete, wantApplies: 1},
		{name: "update completes", status: model.UpdateInProgress, wantStatus: model.UpdateComplete, wantApplies: 1},
		{name: "delete removes everything", status: model.DeleteInProgress, wantDeletes: 1},
		{name: "permanent failure is recorded at once", status: model.CreateInProgress,
			labels: map[string]string{drivertest.LabelFail: "no capacity"}, wantStatus: model.CreateFailed,
			wantReason: "no capacity", wantApplies: 1},
		{name: "transient failure on the last attempt is recorded", status: model.CreateInProgress, final: true,
			labels: map[string]string{drivertest.LabelFailTimes: "5"}, wantStatus: model.CreateFailed,
			wantReason: "test driver: transient failure 1 of 5", wantApplies: 1},
		{name: "transient failure is retried", status: model.CreateInProgress,
			labels: map[string]string{drivertest.LabelFailTimes: "5"}, wantStatus: model.CreateInProgress,
			wantReason: "retrying after: test driver: transient failure 2 of 5", wantApplies: 2, wantErr: true},
		{name: "a stable cluster needs nothing", status: model.CreateComplete, wantStatus: model.CreateComplete},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newStore(t)
			d := drivertest.New()
			r := NewReconciler(st, driver.Registry{"kubernetes": d}, ReconcilerOptions{Log: slog.New(slog.DiscardHandler)})
			c := seed(t, st, tc.status, tc.labels)
			err1, err2 := reconcileTwice(t, r, c.UUID, tc.final)
			if (err1 != nil || err2 != nil) != tc.wantErr {
				t.Fatalf("errors %v, %v; wantErr %v", err1, err2, tc.wantErr)
			}
			if got := d.Applies(c.UUID); got != tc.wantApplies {
				t.Fatalf("driver applied %d times, want %d", got, tc.wantApplies)
			}
			if got := d.Deletes(c.UUID); got != tc.wantDeletes {
				t.Fatalf("driver deleted %d times, want %d", got, tc.wantDeletes)
			}
			got, err := store.Get[model.Cluster](t.Context(), st, c.UUID)
			if tc.wantStatus == "" {
				if !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("cluster still stored: %v", err)
				}
				n, _ := st.Count(t.Context(), model.KindNodeGroup, store.Query{Parent: c.UUID})
				_, secretErr := st.GetSecret(t.Context(), ClusterSecretPrefix(c.UUID)+"ca/kubernetes.key")
				if n != 0 || secretErr == nil {
					t.Fatalf("delete left %d nodegroups, secret err %v", n, secretErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.wantStatus || got.StatusReason != tc.wantReason {
				t.Fatalf("status %s %q, want %s %q", got.Status, got.StatusReason, tc.wantStatus, tc.wantReason)
			}
			if tc.wantStatus == model.CreateComplete && tc.wantApplies > 0 {
				if got.NodeCount != 2 || got.MasterCount != 1 || len(got.NodeAddresses) != 2 || got.APIAddress == "" {
					t.Fatalf("observed state not recorded: %+v", got)
				}
			}
		})
	}
}

func TestReconcileMissingClusterIsDone(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	r := NewReconciler(st, driver.Registry{}, ReconcilerOptions{})
	if err := r.ReconcileCluster(context.Background(), "6b7a1c52-9d47-4b7e-8a33-0d3f0ad1a0aa", false); err != nil {
		t.Fatalf("reconcile of a deleted cluster: %v", err)
	}
}

func TestLeases(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	l := &leases{st: st, prefix: "c1", ttl: time.Minute, now: time.Now}
	a, b := l.holder(), l.holder()
	ctx := t.Context()
	if err := l.acquire(ctx, "x", a); err != nil {
		t.Fatal(err)
	}
	if err := l.acquire(ctx, "x", b); !errors.Is(err, errLeaseHeld) {
		t.Fatalf("second claimant: %v, want errLeaseHeld", err)
	}
	if err := l.acquire(ctx, "x", a); err != nil {
		t.Fatalf("renewal by the holder: %v", err)
	}
	l.release(ctx, "x", b) // not the holder: no effect
	if err := l.acquire(ctx, "x", b); !errors.Is(err, errLeaseHeld) {
		t.Fatalf("release by a non-holder freed the lease: %v", err)
	}
	l.release(ctx, "x", a)
	if err := l.acquire(ctx, "x", b); err != nil {
		t.Fatalf("claim after release: %v", err)
	}
}

// TestLeasesOfAnEarlierRun checks that a conductor restarted after a crash
// takes over its earlier run's claims at once, and nobody else's.
func TestLeasesOfAnEarlierRun(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := t.Context()
	crashed := &leases{st: st, prefix: "conductor@h:/d/run1", ttl: time.Hour, now: time.Now}
	other := &leases{st: st, prefix: "conductor@h2:/d/run1", ttl: time.Hour, now: time.Now}
	if err := crashed.acquire(ctx, "x", crashed.holder()); err != nil {
		t.Fatal(err)
	}
	if err := other.acquire(ctx, "y", other.holder()); err != nil {
		t.Fatal(err)
	}
	restarted := &leases{st: st, prefix: "conductor@h:/d/run2", predecessors: "conductor@h:/d/", ttl: time.Hour, now: time.Now}
	a, b := restarted.holder(), restarted.holder()
	if err := restarted.acquire(ctx, "x", a); err != nil {
		t.Fatalf("claim left by the crashed run: %v, want it taken over", err)
	}
	if err := restarted.acquire(ctx, "x", b); !errors.Is(err, errLeaseHeld) {
		t.Fatalf("a second claim of the same run: %v, want errLeaseHeld", err)
	}
	if err := restarted.acquire(ctx, "y", a); !errors.Is(err, errLeaseHeld) {
		t.Fatalf("another conductor's claim: %v, want errLeaseHeld", err)
	}
}

// supersededDriver's Apply finds the cluster being deleted under it, as a
// real driver does while it waits for nodes, and says so.
type supersededDriver struct {
	st      store.Store
	applies int
	deletes int
}

func (d *supersededDriver) Apply(ctx context.Context, s *driver.Scope) error {
	d.applies++
	c, err := store.Get[model.Cluster](ctx, d.st, s.Cluster.UUID)
	if err != nil {
		return err
	}
	c.Status = model.DeleteInProgress
	if err := d.st.Update(ctx, c); err != nil {
		return err
	}
	return driver.ErrSuperseded
}

func (d *supersededDriver) Delete(context.Context, *driver.Scope) error {
	d.deletes++
	return nil
}

// TestSupersededOperationStartsOver checks that a delete that arrives
// while a create runs is carried out at once, in the same work item.
func TestSupersededOperationStartsOver(t *testing.T) {
	st := newStore(t)
	c := seed(t, st, model.CreateInProgress, nil)
	d := &supersededDriver{st: st}
	r := NewReconciler(st, driver.Registry{"kubernetes": d}, ReconcilerOptions{Log: slog.New(slog.DiscardHandler)})
	if err := r.ReconcileCluster(t.Context(), c.UUID, false); err != nil {
		t.Fatal(err)
	}
	if d.applies != 1 || d.deletes != 1 {
		t.Errorf("applies %d, deletes %d; want the create given up and the delete done", d.applies, d.deletes)
	}
	if _, err := store.Get[model.Cluster](t.Context(), st, c.UUID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the cluster is still there: %v", err)
	}
}
