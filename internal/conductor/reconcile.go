package conductor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/slipway/slipway/internal/driver"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// Reconciler converges clusters: it loads a cluster, works out what its
// status asks for, lets the COE driver do it and records the outcome.
type Reconciler struct {
	st      store.Store
	drivers driver.Registry
	log     *slog.Logger
}

// ReconcilerOptions tunes a Reconciler.
type ReconcilerOptions struct {
	Log *slog.Logger
}

// NewReconciler returns a reconciler over st that hands clusters to drivers.
func NewReconciler(st store.Store, drivers driver.Registry, opts ReconcilerOptions) *Reconciler {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &Reconciler{
		st:      st,
		drivers: drivers,
		log:     opts.Log,
	}
}

// ReconcileCluster brings one cluster to the state its status asks for. It
// returns nil when there is nothing (more) to do, and a retryable error
// otherwise. With final set, a failure is recorded on the cluster instead of
// returned for a retry. The caller holds the cluster's lease.
func (r *Reconciler) ReconcileCluster(ctx context.Context, id string, final bool) error {
	// Level-triggered: keep going until the stored cluster needs nothing,
	// so that a request that arrives while we work is not lost.
	for {
		done, err := r.reconcileOnce(ctx, id, final)
		if err != nil || done {
			return err
		}
	}
}

// Target returns the queue target that reconciles clusters.
func (r *Reconciler) Target() Target {
	return Target{Kind: model.KindCluster, Reconcile: r.ReconcileCluster, InProgress: r.inProgressClusters}
}

// reconcileOnce does one pass. It reports done when the cluster needs no
// more work.
func (r *Reconciler) reconcileOnce(ctx context.Context, id string, final bool) (bool, error) {
	cluster, err := store.Get[model.Cluster](ctx, r.st, id)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("load cluster %s: %w", id, err)
	}
	if !cluster.Status.InProgress() {
		return true, nil
	}
	log := r.log.With("cluster", cluster.UUID, "project", cluster.ProjectID, "status", cluster.Status)
	scope, err := r.scope(ctx, cluster)
	if err != nil {
		return false, err
	}
	d, ok := r.drivers.Lookup(scope.Template.COE)
	var opErr error
	switch {
	case !ok:
		opErr = driver.Permanent(fmt.Errorf("no driver is installed for coe %q", scope.Template.COE))
	case cluster.Status == model.DeleteInProgress:
		opErr = d.Delete(ctx, scope)
	default:
		opErr = d.Apply(ctx, scope)
	}
	if opErr != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if errors.Is(opErr, driver.ErrSuperseded) {
			log.Info("cluster operation superseded; starting over")
			return false, nil
		}
		if !driver.IsPermanent(opErr) && !final {
			log.Warn("cluster operation failed; will retry", "error", opErr)
			// Say what went wrong while the retry waits: never hang silently.
			scope.Progress("retrying after: " + opErr.Error())
			return false, opErr
		}
		log.Error("cluster operation failed", "error", opErr)
		return r.fail(ctx, scope, opErr)
	}
	if cluster.Status == model.DeleteInProgress {
		return true, r.remove(ctx, cluster)
	}
	return r.complete(ctx, scope)
}

// scope loads what a driver needs, and wires progress reports.
func (r *Reconciler) scope(ctx context.Context, c *model.Cluster) (*driver.Scope, error) {
	tmplID := c.ClusterTemplateID
	if c.Status == model.UpdateInProgress && c.TargetTemplateID != "" {
		tmplID = c.TargetTemplateID
	}
	tmpl, err := store.Get[model.ClusterTemplate](ctx, r.st, tmplID)
	if err != nil {
		return nil, fmt.Errorf("load template %s of cluster %s: %w", tmplID, c.UUID, err)
	}
	ngs, err := store.List[model.NodeGroup](ctx, r.st, store.Query{Parent: c.UUID})
	if err != nil {
		return nil, fmt.Errorf("load nodegroups of cluster %s: %w", c.UUID, err)
	}
	s := &driver.Scope{Cluster: c, Template: tmpl, NodeGroups: ngs}
	s.Progress = func(reason string) {
		c.StatusReason = reason
		// A progress note is best effort: if the cluster changed under us
		// the final write notices and the loop starts over.
		if err := r.st.Update(ctx, c); err != nil {
			r.log.Debug("progress not recorded", "cluster", c.UUID, "error", err)
		}
	}
	return s, nil
}

// complete records a successful operation.
func (r *Reconciler) complete(ctx context.Context, s *driver.Scope) (bool, error) {
	c := s.Cluster
	op := c.Operation
	if op == "" {
		op = operationOf(c.Status)
	}
	c.Status = op.CompleteStatus()
	c.StatusReason = ""
	if c.TargetTemplateID != "" {
		c.ClusterTemplateID = c.TargetTemplateID
		c.TargetTemplateID = ""
	}
	c.UpgradeBatchSize = 0
	c.NodesToRemove = nil
	var kept []*model.NodeGroup
	for _, ng := range s.NodeGroups {
		if ng.Status != model.DeleteInProgress {
			kept = append(kept, ng)
		}
	}
	c.RollUp(kept)
	err := r.st.InTx(ctx, func(tx store.Writer) error {
		if err := tx.Update(ctx, c); err != nil {
			return err
		}
		for _, ng := range s.NodeGroups {
			if ng.Status == model.DeleteInProgress {
				if err := tx.Delete(ctx, model.KindNodeGroup, ng.UUID); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				continue
			}
			if ng.Status.InProgress() {
				ngOp := ng.Operation
				if ngOp == "" {
					ngOp = operationOf(ng.Status)
				}
				ng.Status = ngOp.CompleteStatus()
				ng.StatusReason = ""
			}
			ng.Version = c.COEVersion
			if err := tx.Update(ctx, ng); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, store.ErrRevisionMismatch) {
		return false, nil // changed while we worked: go round again
	}
	if err != nil {
		return false, fmt.Errorf("record completion of cluster %s: %w", c.UUID, err)
	}
	r.log.Info("cluster operation complete", "cluster", c.UUID, "project", c.ProjectID, "status", c.Status)
	return true, nil
}

// fail records a failed operation with its real reason.
func (r *Reconciler) fail(ctx context.Context, s *driver.Scope, opErr error) (bool, error) {
	c := s.Cluster
	op := c.Operation
	if op == "" {
		op = operationOf(c.Status)
	}
	reason := opErr.Error()
	c.Status = op.FailedStatus()
	c.StatusReason = reason
	// A failed upgrade leaves the cluster on its template; the driver says
	// what an upgrade that stopped part way needs.
	c.TargetTemplateID, c.UpgradeBatchSize = "", 0
	err := r.st.InTx(ctx, func(tx store.Writer) error {
		if err := tx.Update(ctx, c); err != nil {
			return err
		}
		for _, ng := range s.NodeGroups {
			if !ng.Status.InProgress() {
				continue
			}
			ngOp := ng.Operation
			if ngOp == "" {
				ngOp = operationOf(ng.Status)
			}
			ng.Status = ngOp.FailedStatus()
			ng.StatusReason = reason
			if err := tx.Update(ctx, ng); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, store.ErrRevisionMismatch) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record failure of cluster %s: %w", c.UUID, err)
	}
	return true, nil
}

// remove deletes a cluster's records once the driver has removed its
// resources.
func (r *Reconciler) remove(ctx context.Context, c *model.Cluster) error {
	err := r.st.InTx(ctx, func(tx store.Writer) error {
		if _, err := tx.DeleteWhere(ctx, model.KindNodeGroup, store.Query{Parent: c.UUID}); err != nil {
			return err
		}
		if err := tx.DeleteSecrets(ctx, ClusterSecretPrefix(c.UUID)); err != nil {
			return err
		}
		if err := tx.Delete(ctx, model.KindCluster, c.UUID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove cluster %s: %w", c.UUID, err)
	}
	r.log.Info("cluster deleted", "cluster", c.UUID, "project", c.ProjectID)
	return nil
}

// ClusterSecretPrefix is the prefix of every secret a cluster owns.
func ClusterSecretPrefix(clusterID string) string { return "cluster/" + clusterID + "/" }

// CASecretName names one part ("crt" or "key") of one of a cluster's CAs.
func CASecretName(clusterID, caType, part string) string {
	return ClusterSecretPrefix(clusterID) + "ca/" + caType + "." + part
}

func operationOf(s model.Status) model.Operation {
	switch {
	case strings.HasPrefix(string(s), "CREATE"):
		return model.OpCreate
	case strings.HasPrefix(string(s), "DELETE"):
		return model.OpDelete
	}
	return model.OpUpdate
}
