package engine

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/store"
)

// Signal purposes: a signal for the resource's plugin, and the engine's own
// mark that a resource must be updated although its properties did not
// change.
const (
	purposeSignal  = "signal"
	purposeRefresh = "refresh"
)

// Signal delivers a signal to a resource: it lets the resource's plugin
// check and act on body, stores the signal, and wakes whatever waits for
// it. A resource whose type takes no signals is a model.ErrInvalid error.
func (s *Service) Signal(ctx context.Context, stackID, resourceName string, body []byte) error {
	st, err := s.Get(ctx, stackID)
	if err != nil {
		return err
	}
	rec, err := s.Resource(ctx, stackID, resourceName)
	if err != nil {
		return err
	}
	p, ok := s.reg.Lookup(rec.Type)
	if !ok {
		return model.Invalidf("Resource %s has unknown type %s", resourceName, rec.Type)
	}
	sig, ok := p.(resources.Signaler)
	if !ok {
		return model.Invalidf("Signal resource during %s is not supported: resource %s of type %s accepts no signals.",
			st.StackStatus(), resourceName, rec.Type)
	}
	if rec.Action == model.ActionDelete || rec.PhysicalID == "" {
		return model.Invalidf("Signal resource during %s is not supported: resource %s is %s.",
			st.StackStatus(), resourceName, rec.ResourceStatus())
	}
	if len(body) > 0 && !json.Valid(body) {
		return model.Invalidf("The signal body is not valid JSON.")
	}
	h := &host{svc: s}
	r := h.pluginResource(st, rec)
	stored, err := sig.HandleSignal(ctx, r, body)
	if err != nil {
		return fmt.Errorf("signal %s: %w", resourceName, err)
	}
	if stored != nil {
		err := s.st.Create(ctx, &model.StackSignal{ResourceID: rec.UUID, StackID: stackID,
			Purpose: purposeSignal, Body: stored, Time: s.opts.Now().UTC()})
		if err != nil {
			return fmt.Errorf("store signal for %s: %w", resourceName, err)
		}
		ev := &model.StackEvent{StackID: stackID, ProjectID: st.ProjectID, ResourceName: rec.Name,
			ResourceType: rec.Type, PhysicalID: rec.PhysicalID, Action: model.ActionSignal,
			Status: model.StateComplete, Reason: "Signal: " + signalReason(stored), Time: s.opts.Now().UTC()}
		if err := s.st.Create(ctx, ev); err != nil {
			s.log.Warn("signal event not recorded", "stack", stackID, "error", err)
		}
	}
	s.signals.notify()
	return nil
}

// signalReason summarises a stored signal for its event.
func signalReason(body json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		status, _ := m["status"].(string)
		reason, _ := m["reason"].(string)
		switch {
		case status != "" && reason != "":
			return status + ": " + reason
		case status != "":
			return status
		case reason != "":
			return reason
		}
	}
	return "received"
}

// CheckSignalToken reports whether token is the secret that resource
// resourceName of the stack accepts signals with, so that the API can let
// a caller with no credentials (a machine running curl_cli) signal it.
func (s *Service) CheckSignalToken(ctx context.Context, stackID, resourceName, token string) error {
	rec, err := s.Resource(ctx, stackID, resourceName)
	if err != nil {
		return err
	}
	want := rec.Data[resources.SignalTokenKey]
	if want == "" || token == "" || subtle.ConstantTimeCompare([]byte(want), []byte(token)) != 1 {
		return model.Unauthorizedf("The request you have made requires authentication.")
	}
	return nil
}

// signalsOf returns the plugin signals of a resource record, oldest first.
func (s *Service) signalsOf(ctx context.Context, r store.Reader, recordID string) ([]resources.Signal, error) {
	sigs, err := store.List[model.StackSignal](ctx, r, store.Query{Parent: recordID, Name: purposeSignal})
	if err != nil {
		return nil, fmt.Errorf("list signals of resource %s: %w", recordID, err)
	}
	out := make([]resources.Signal, 0, len(sigs))
	for _, sg := range sigs {
		out = append(out, resources.Signal{Body: sg.Body, Time: sg.Time})
	}
	return out, nil
}

// refresh marks resource name of stackID, and every resource up the chain
// of stacks that owns it, for an update, then starts an update of the
// top-level stack with its current definition.
func (s *Service) refresh(ctx context.Context, stackID, name string, body json.RawMessage) error {
	st, err := s.Get(ctx, stackID)
	if err != nil {
		return err
	}
	if body != nil {
		rec, err := s.Resource(ctx, st.UUID, name)
		if err != nil {
			return err
		}
		err = s.st.Create(ctx, &model.StackSignal{ResourceID: rec.UUID, StackID: st.UUID,
			Purpose: purposeSignal, Body: body, Time: s.opts.Now().UTC()})
		if err != nil {
			return fmt.Errorf("signal %s: %w", name, err)
		}
	}
	for {
		rec, err := s.Resource(ctx, st.UUID, name)
		if err != nil {
			return err
		}
		err = s.st.Create(ctx, &model.StackSignal{ResourceID: rec.UUID, StackID: st.UUID,
			Purpose: purposeRefresh, Time: s.opts.Now().UTC()})
		if err != nil {
			return fmt.Errorf("mark %s for update: %w", name, err)
		}
		if st.ParentID == "" {
			break
		}
		name = st.ParentResource
		if st, err = s.Get(ctx, st.ParentID); err != nil {
			return err
		}
	}
	for {
		if st.InProgress() {
			// The operation under way picks the marks up, or the next does.
			return s.opts.Enqueue(ctx, st.UUID)
		}
		if st.Deleted() || st.Action == model.ActionDelete {
			return model.Conflictf("Stack %s is being deleted.", st.Name)
		}
		now := s.opts.Now().UTC()
		prev := st.StackDefinition
		st.Previous = &prev
		st.Action, st.Status, st.StatusReason = model.ActionUpdate, model.StateInProgress, "Stack UPDATE started by a signal"
		st.StartedAt = &now
		err := s.st.Update(ctx, st)
		if errors.Is(err, store.ErrRevisionMismatch) {
			if st, err = s.Get(ctx, st.UUID); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("store stack %s: %w", st.UUID, err)
		}
		s.stackEvent(ctx, st)
		return s.opts.Enqueue(ctx, st.UUID)
	}
}

// broadcast wakes every waiter at once: each wait takes the current
// channel, and notify closes it and makes a new one.
type broadcast struct {
	mu sync.Mutex
	ch chan struct{}
}

func newBroadcast() *broadcast { return &broadcast{ch: make(chan struct{})} }

func (b *broadcast) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

func (b *broadcast) notify() {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.ch)
	b.ch = make(chan struct{})
}
