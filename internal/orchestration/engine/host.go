package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/store"
)

// host implements resources.Host for the plugins the engine runs. run is
// nil outside an operation (while handling a signal); nested stacks can
// then not be changed.
type host struct {
	svc *Service
	run *run
}

var _ resources.Host = (*host)(nil)

// pluginResource is what a plugin sees of a stored resource, without
// evaluated properties.
func (h *host) pluginResource(st *model.Stack, rec *model.StackResource) *resources.Resource {
	return &resources.Resource{
		Stack: resources.StackInfo{ID: st.UUID, Name: st.Name, ProjectID: st.ProjectID,
			UserID: st.UserID, RootID: st.Root(), Environment: st.Environment, Files: st.Files},
		Name: rec.Name, Type: rec.Type, PhysicalID: rec.PhysicalID,
		Properties: rec.Properties, Metadata: rec.Metadata, Data: maps.Clone(rec.Data),
		Attributes: rec.Attributes, NestedID: rec.NestedID, Host: h,
	}
}

// SignalURL implements resources.Host: the Heat API's resource signal
// route under the public URL.
func (h *host) SignalURL(r *resources.Resource) string {
	base := strings.TrimRight(h.svc.opts.PublicURL, "/")
	return fmt.Sprintf("%s/%s/stacks/%s/%s/resources/%s/signal", base,
		url.PathEscape(r.Stack.ProjectID), url.PathEscape(r.Stack.Name), url.PathEscape(r.Stack.ID),
		url.PathEscape(r.Name))
}

// Signals implements resources.Host.
func (h *host) Signals(ctx context.Context, stackID, physicalID string) ([]resources.Signal, error) {
	if h.run != nil {
		if err := h.run.b.flush(ctx); err != nil {
			return nil, err
		}
	}
	recs, err := store.List[model.StackResource](ctx, h.svc.st, store.Query{Parent: stackID, Ref: physicalID})
	if err != nil {
		return nil, fmt.Errorf("find resource %s: %w", physicalID, err)
	}
	if len(recs) == 0 {
		return nil, model.NotFoundf("No resource of stack %s has the physical id %s.", stackID, physicalID)
	}
	return h.svc.signalsOf(ctx, h.svc.st, recs[0].UUID)
}

// Wait implements resources.Host.
func (h *host) Wait(ctx context.Context, check func(ctx context.Context) (bool, error)) error {
	if sl, ok := heldSlot(ctx); ok && sl != nil {
		sl.release()
		defer func() { _ = sl.acquire(context.WithoutCancel(ctx)) }()
		ctx = withSlot(ctx, nil)
	}
	for {
		woken := h.svc.signals.wait()
		done, err := check(ctx)
		if err != nil || done {
			return err
		}
		t := time.NewTimer(h.svc.opts.PollInterval)
		select {
		case <-woken:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		}
		t.Stop()
	}
}

// Now implements resources.Host.
func (h *host) Now() time.Time { return h.svc.opts.Now() }

// Refresh implements resources.Host.
func (h *host) Refresh(ctx context.Context, stackID, name string, body json.RawMessage) error {
	return h.svc.refresh(ctx, stackID, name, body)
}

// Lookup implements resources.Host.
func (h *host) Lookup(ctx context.Context, projectID, physicalID string) (*model.StackResource, error) {
	if h.run != nil {
		if err := h.run.b.flush(ctx); err != nil {
			return nil, err
		}
	}
	recs, err := store.List[model.StackResource](ctx, h.svc.st, store.Query{ProjectID: projectID, Ref: physicalID})
	if err != nil {
		return nil, fmt.Errorf("find resource %s: %w", physicalID, err)
	}
	if len(recs) == 0 {
		return nil, model.NotFoundf("No resource has the physical id %s.", physicalID)
	}
	return recs[0], nil
}

// NestedResources implements resources.Host.
func (h *host) NestedResources(ctx context.Context, stackID string) ([]*model.StackResource, error) {
	if h.run != nil {
		if err := h.run.b.flush(ctx); err != nil {
			return nil, err
		}
	}
	recs, err := store.List[model.StackResource](ctx, h.svc.st, store.Query{Parent: stackID})
	if err != nil {
		return nil, fmt.Errorf("list resources of stack %s: %w", stackID, err)
	}
	return recs, nil
}

// errNoOperation is returned by the nested-stack methods outside an
// operation.
var errNoOperation = errors.New("nested stacks change only during a stack operation")

// ApplyNested implements resources.Host: it creates the nested stack (with
// the id the engine reserved for the resource) or updates it, and
// converges it as part of the parent's operation.
func (h *host) ApplyNested(ctx context.Context, r *resources.Resource, def resources.NestedStack) (*resources.NestedResult, error) {
	if h.run == nil {
		return nil, errNoOperation
	}
	b := h.run.b
	id := r.NestedID
	if id == "" {
		id = r.PhysicalID
	}
	env, err := inheritEnvironment(r.Stack.Environment)
	if err != nil {
		return nil, err
	}
	want := model.StackDefinition{Template: def.Template, Files: def.Files,
		Environment: env, Parameters: def.Parameters}
	if err := b.flush(ctx); err != nil {
		return nil, err
	}
	child, err := store.Get[model.Stack](ctx, h.svc.st, id)
	now := h.svc.opts.Now().UTC()
	switch {
	case errors.Is(err, store.ErrNotFound):
		child = &model.Stack{Meta: model.Meta{UUID: id},
			Name:      nestedName(r.Stack.Name, r.Name, id),
			ProjectID: r.Stack.ProjectID, UserID: r.Stack.UserID, StackDefinition: want,
			Action: model.ActionCreate, Status: model.StateInProgress, StatusReason: "Stack CREATE started",
			ParentID: r.Stack.ID, ParentResource: r.Name, RootID: r.Stack.RootID,
			DisableRollback: true, StartedAt: &now}
		if err := b.write(ctx, createOp(child), createOp(stackEventOf(child, now))); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("load nested stack %s: %w", id, err)
	default:
		if !child.InProgress() || !child.StackDefinition.Equal(&want) {
			if !child.StackDefinition.Equal(&want) {
				prev := child.StackDefinition
				child.Previous = &prev
				child.StackDefinition = want
			}
			child.Action, child.Status, child.StatusReason = model.ActionUpdate, model.StateInProgress, "Stack UPDATE started"
			if child.StackStatus() == "CREATE_FAILED" {
				child.Action, child.StatusReason = model.ActionCreate, "Stack CREATE started"
			}
			child.StartedAt = &now
			snap := *child
			if err := b.write(ctx, updateOp(&snap), createOp(stackEventOf(child, now))); err != nil {
				return nil, err
			}
		}
	}
	r.NestedID = child.UUID
	sr, opErr := h.run.converge(ctx, child)
	if opErr != nil && !isFailure(opErr) {
		return nil, opErr
	}
	if opErr != nil && interrupted(ctx) {
		return nil, context.Cause(ctx)
	}
	now = h.svc.opts.Now().UTC()
	if opErr != nil {
		child.Status, child.StatusReason = model.StateFailed, failureReason(opErr)
	} else {
		child.Status, child.StatusReason = model.StateComplete, "Stack "+string(child.Action)+" completed successfully"
		child.Outputs = sr.outputs()
		child.Previous = nil
	}
	child.StartedAt = nil
	snap := *child
	if err := b.post(updateOp(&snap), createOp(stackEventOf(child, now))); err != nil {
		return nil, err
	}
	if opErr != nil {
		return nil, opErr
	}
	return &resources.NestedResult{StackID: child.UUID, StackName: child.Name, Outputs: outputMap(child.Outputs)}, nil
}

// nestedName names a nested stack as Heat does: parent, resource and a
// short unique suffix.
func nestedName(parent, resource, id string) string {
	suffix := strings.ReplaceAll(id, "-", "")
	if len(suffix) > 12 {
		suffix = suffix[:12]
	}
	return parent + "-" + resource + "-" + suffix
}

// DeleteNested implements resources.Host: it deletes every resource of the
// nested stack, then the stack itself.
func (h *host) DeleteNested(ctx context.Context, r *resources.Resource) error {
	if h.run == nil {
		return errNoOperation
	}
	b := h.run.b
	id := r.NestedID
	if id == "" {
		id = r.PhysicalID
	}
	if id == "" {
		return nil
	}
	if err := b.flush(ctx); err != nil {
		return err
	}
	child, err := store.Get[model.Stack](ctx, h.svc.st, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load nested stack %s: %w", id, err)
	}
	now := h.svc.opts.Now().UTC()
	if child.Action != model.ActionDelete || !child.InProgress() {
		child.Action, child.Status, child.StatusReason = model.ActionDelete, model.StateInProgress, "Stack DELETE started"
		child.StartedAt, child.Previous = &now, nil
		snap := *child
		if err := b.write(ctx, updateOp(&snap), createOp(stackEventOf(child, now))); err != nil {
			return err
		}
	}
	_, opErr := h.run.converge(ctx, child)
	if opErr != nil {
		if !isFailure(opErr) || interrupted(ctx) {
			return opErr
		}
		child.Status, child.StatusReason = model.StateFailed, failureReason(opErr)
		snap := *child
		if err := b.post(updateOp(&snap), createOp(stackEventOf(child, h.svc.opts.Now()))); err != nil {
			return err
		}
		return opErr
	}
	return b.write(ctx,
		deleteWhereOp(model.KindStackEvent, store.Query{Parent: child.UUID}),
		deleteWhereOp(model.KindStackSignal, store.Query{Ref: child.UUID}),
		deleteOp(model.KindStack, child.UUID))
}
