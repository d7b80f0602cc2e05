package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slipway/slipway/internal/conductor"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// Target returns the work-queue target that runs stack operations. Only
// top-level stacks are work items: nested stacks are converged as part of
// their parent's operation, under the top-level stack's lease.
func (s *Service) Target() conductor.Target {
	return conductor.Target{Kind: model.KindStack, Reconcile: s.Reconcile, InProgress: s.inProgress}
}

// inProgress lists the top-level stacks an operation is under way on.
func (s *Service) inProgress(ctx context.Context) ([]string, error) {
	stacks, err := store.List[model.Stack](ctx, s.st, store.Query{})
	if err != nil {
		return nil, fmt.Errorf("list stacks: %w", err)
	}
	var ids []string
	for _, st := range stacks {
		if st.ParentID == "" && st.InProgress() {
			ids = append(ids, st.UUID)
		}
	}
	return ids, nil
}

// Reconcile carries out the operation a top-level stack's status asks for
// and records the outcome. It is level-triggered: it reloads the stack
// until nothing is left to do, so a cancel or a delete that arrives
// meanwhile takes over, and a resumed reconcile continues from the stored
// state. With final set, an error that would be retried is recorded as the
// operation's failure instead.
func (s *Service) Reconcile(ctx context.Context, stackID string, final bool) error {
	for {
		st, err := store.Get[model.Stack](ctx, s.st, stackID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load stack %s: %w", stackID, err)
		}
		if st.ParentID != "" || !st.InProgress() {
			return nil
		}
		done, err := s.operate(ctx, st, final)
		if err != nil || done {
			return err
		}
	}
}

// operate runs one pass of the stack's operation. It reports done when the
// stack needs nothing more.
func (s *Service) operate(ctx context.Context, st *model.Stack, final bool) (bool, error) {
	log := s.log.With("stack", st.UUID, "project", st.ProjectID, "status", st.StackStatus())
	started := s.opts.Now()
	if st.StartedAt != nil {
		started = *st.StartedAt
	}
	timeout := s.opts.DefaultTimeout
	if st.TimeoutMins > 0 {
		timeout = time.Duration(st.TimeoutMins) * time.Minute
	}
	opCtx, cancelDeadline := context.WithDeadlineCause(ctx, started.Add(timeout), errTimedOut)
	defer cancelDeadline()
	opCtx, cancel := context.WithCancelCause(opCtx)
	defer cancel(nil)
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		s.watch(opCtx, st, cancel)
	}()

	b := newBatcher(s.st, s.opts.BatchWindow)
	go b.run(ctx)
	r := &run{svc: s, b: b}
	sr, opErr := r.converge(opCtx, st)
	cause := context.Cause(opCtx)
	cancel(nil)
	<-watchDone
	if err := b.close(); err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if !final {
			return false, err
		}
		opErr = failf("recording the operation failed: %v", err)
	}
	switch {
	case ctx.Err() != nil:
		// Shutting down or lease lost: the next reconcile resumes.
		return false, ctx.Err()
	case errors.Is(cause, errSuperseded):
		return false, nil
	case opErr == nil:
		return s.complete(ctx, st, sr)
	case errors.Is(cause, errTimedOut):
		log.Warn("stack operation timed out")
		return s.fail(ctx, st, fmt.Sprintf("Stack %s timed out after %s", st.Action, timeout))
	case !isFailure(opErr) && !final:
		log.Warn("stack operation interrupted; will retry", "error", opErr)
		return false, opErr
	}
	log.Info("stack operation failed", "reason", failureReason(opErr))
	return s.fail(ctx, st, failureReason(opErr))
}

// watch cancels the operation when the stack record changes under it (a
// cancel, a delete).
func (s *Service) watch(ctx context.Context, st *model.Stack, cancel context.CancelCauseFunc) {
	t := time.NewTicker(s.opts.WatchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur, err := store.Get[model.Stack](ctx, s.st, st.UUID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && cur.Revision != st.Revision) {
			cancel(errSuperseded)
			return
		}
	}
}

// complete records a successful operation.
func (s *Service) complete(ctx context.Context, st *model.Stack, sr *stackRun) (bool, error) {
	now := s.opts.Now().UTC()
	switch {
	case st.Action == model.ActionDelete:
		st.Outputs = nil
		st.StatusReason = "Stack DELETE completed successfully"
	case st.Action == model.ActionRollback:
		if st.RollbackDeletes {
			st.Outputs = nil
		} else {
			st.Outputs = sr.outputs()
		}
		cause := st.StatusReason
		st.StatusReason = "Stack ROLLBACK completed successfully"
		if cause != "" {
			st.StatusReason += " (" + cause + ")"
		}
	default:
		st.Outputs = sr.outputs()
		st.StatusReason = "Stack " + string(st.Action) + " completed successfully"
	}
	st.Status, st.StartedAt, st.Previous, st.RollbackDeletes = model.StateComplete, nil, nil, false
	err := s.st.InTx(ctx, func(tx store.Writer) error {
		if err := tx.Update(ctx, st); err != nil {
			return err
		}
		if st.Action == model.ActionDelete {
			if _, err := tx.DeleteWhere(ctx, model.KindStackSignal, store.Query{Ref: st.UUID}); err != nil {
				return err
			}
		}
		return tx.Create(ctx, stackEventOf(st, now))
	})
	if errors.Is(err, store.ErrRevisionMismatch) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record completion of stack %s: %w", st.UUID, err)
	}
	s.log.Info("stack operation complete", "stack", st.UUID, "project", st.ProjectID, "status", st.StackStatus())
	return true, nil
}

// fail records a failed operation, or starts the rollback it calls for.
func (s *Service) fail(ctx context.Context, st *model.Stack, reason string) (bool, error) {
	now := s.opts.Now().UTC()
	done := true
	switch {
	case st.Action == model.ActionCreate && !st.DisableRollback:
		st.Action, st.RollbackDeletes = model.ActionRollback, true
		st.StatusReason = reason
		st.StartedAt = &now
		done = false
	case st.Action == model.ActionUpdate && !st.DisableRollback && st.Previous != nil:
		st.Action = model.ActionRollback
		st.StackDefinition, st.Previous = *st.Previous, nil
		st.StatusReason = reason
		st.StartedAt = &now
		done = false
	default:
		st.Status, st.StatusReason, st.StartedAt = model.StateFailed, reason, nil
	}
	err := s.st.InTx(ctx, func(tx store.Writer) error {
		if err := tx.Update(ctx, st); err != nil {
			return err
		}
		return tx.Create(ctx, stackEventOf(st, now))
	})
	if errors.Is(err, store.ErrRevisionMismatch) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record failure of stack %s: %w", st.UUID, err)
	}
	return done, nil
}
