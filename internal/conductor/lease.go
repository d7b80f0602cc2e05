package conductor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// errLeaseHeld means another conductor is working the object.
var errLeaseHeld = errors.New("lease held by another conductor")

// leases hands out time-limited claims on objects, so that at most one
// conductor works an object at a time even when work items are duplicated.
type leases struct {
	st store.Store
	// prefix names the conductor; each claim adds a unique suffix so that
	// two work items in one process also exclude each other.
	prefix string
	// predecessors, if set, starts the names of this conductor's earlier
	// runs, known to have ended: their claims are taken over at once
	// instead of waited out. It must not start prefix.
	predecessors string
	ttl          time.Duration
	now          func() time.Time
}

// holder returns a fresh claimant name.
func (l *leases) holder() string { return l.prefix + "/" + uuid.NewString()[:8] }

// acquire claims the object for holder, or returns errLeaseHeld.
func (l *leases) acquire(ctx context.Context, id, holder string) error {
	now := l.now()
	lease, err := store.Get[model.Lease](ctx, l.st, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		lease = &model.Lease{Meta: model.Meta{UUID: id}, Holder: holder, ExpiresAt: now.Add(l.ttl)}
		if err := l.st.Create(ctx, lease); err != nil {
			if errors.Is(err, store.ErrExists) {
				return errLeaseHeld
			}
			return fmt.Errorf("create lease %s: %w", id, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("load lease %s: %w", id, err)
	case lease.Holder != holder && now.Before(lease.ExpiresAt) && !l.ofPredecessor(lease.Holder):
		return errLeaseHeld
	}
	lease.Holder = holder
	lease.ExpiresAt = now.Add(l.ttl)
	if err := l.st.Update(ctx, lease); err != nil {
		if errors.Is(err, store.ErrRevisionMismatch) || errors.Is(err, store.ErrNotFound) {
			return errLeaseHeld
		}
		return fmt.Errorf("take over lease %s: %w", id, err)
	}
	return nil
}

// ofPredecessor reports whether holder is a claim of one of this
// conductor's earlier runs.
func (l *leases) ofPredecessor(holder string) bool {
	return l.predecessors != "" && strings.HasPrefix(holder, l.predecessors) && !strings.HasPrefix(holder, l.prefix+"/")
}

// keep renews the lease until ctx ends; it cancels lost when the lease is
// lost, so the work under it stops.
func (l *leases) keep(ctx context.Context, id, holder string, lost context.CancelFunc) {
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.acquire(ctx, id, holder); err != nil && ctx.Err() == nil {
				lost()
				return
			}
		}
	}
}

// release gives the lease up.
func (l *leases) release(ctx context.Context, id, holder string) {
	lease, err := store.Get[model.Lease](ctx, l.st, id)
	if err != nil || lease.Holder != holder {
		return
	}
	_ = l.st.Delete(ctx, model.KindLease, id)
}
