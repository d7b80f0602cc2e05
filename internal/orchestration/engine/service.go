package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"time"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/store"
)

// Options tunes a Service.
type Options struct {
	// Enqueue hands a top-level stack to the conductors; the queue then
	// calls Target().Reconcile with its id.
	Enqueue func(ctx context.Context, stackID string) error
	// Concurrency bounds how many resources of one stack are worked on at
	// once. Default 32.
	Concurrency int
	// PublicURL is the orchestration API's versioned root as clients reach
	// it (http://host:port/orchestration/v1); signal URLs start with it.
	PublicURL string
	Log       *slog.Logger
	Now       func() time.Time
	// DefaultTimeout bounds an operation on a stack with no timeout_mins.
	// Default 60 minutes, as Heat's stack_action_timeout.
	DefaultTimeout time.Duration
	// PollInterval is how often a resource waiting for a signal looks
	// again when no signal arrives in this process. Default 500ms.
	PollInterval time.Duration
	// WatchInterval is how often a running operation checks whether the
	// stack was cancelled or deleted under it. Default 250ms.
	WatchInterval time.Duration
	// BatchWindow is how long the engine gathers transitions before it
	// commits them. Default 0: whatever queued up while the previous
	// commit ran goes into the next.
	BatchWindow time.Duration
}

// Service runs stack operations. The API calls its methods; the work queue
// runs Target().Reconcile. It is safe for concurrent use.
type Service struct {
	st      store.Store
	reg     *resources.Registry
	opts    Options
	log     *slog.Logger
	signals *broadcast
}

// New returns a Service over st that runs resources through reg.
func New(st store.Store, reg *resources.Registry, opts Options) *Service {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 32
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.DefaultTimeout <= 0 {
		opts.DefaultTimeout = 60 * time.Minute
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 500 * time.Millisecond
	}
	if opts.WatchInterval <= 0 {
		opts.WatchInterval = 250 * time.Millisecond
	}
	if opts.Enqueue == nil {
		opts.Enqueue = func(context.Context, string) error { return nil }
	}
	return &Service{st: st, reg: reg, opts: opts, log: opts.Log, signals: newBroadcast()}
}

// StackRequest is a stack create or update as the API received it.
type StackRequest struct {
	ProjectID string
	UserID    string
	Name      string
	Template  string
	Files     map[string]string
	// Environment is one environment body; the caller merges several.
	Environment     string
	Parameters      map[string]string
	TimeoutMins     int
	DisableRollback bool
	Tags            []string
	// Existing (PATCH) keeps the stored template, files, environment and
	// parameters wherever the request gives none, and merges the given
	// parameters over the stored ones.
	Existing bool
}

// stackNameRE is Heat's rule for stack names.
var stackNameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.-]{0,254}$`)

// Create validates a new stack, stores it as CREATE_IN_PROGRESS and hands
// it to the conductors. A bad template or parameter is a model.ErrInvalid
// error naming the place; a stack of the same name in the project is a
// model.ErrConflict.
func (s *Service) Create(ctx context.Context, req StackRequest) (*model.Stack, error) {
	if !stackNameRE.MatchString(req.Name) {
		return nil, model.Invalidf("Invalid stack name %s must contain only alphanumeric or \"_-.\" characters, must start with alpha and must be 255 characters or less.", req.Name)
	}
	if req.TimeoutMins < 0 {
		return nil, model.Invalidf("timeout_mins must not be negative")
	}
	def := model.StackDefinition{Template: req.Template, Files: req.Files,
		Environment: req.Environment, Parameters: req.Parameters}
	c, err := s.compile(&def)
	if err != nil {
		return nil, err
	}
	if err := s.checkName(ctx, req.ProjectID, req.Name); err != nil {
		return nil, err
	}
	now := s.opts.Now().UTC()
	st := &model.Stack{
		Name: req.Name, ProjectID: req.ProjectID, UserID: req.UserID,
		StackDefinition: def, Action: model.ActionCreate, Status: model.StateInProgress,
		StatusReason: "Stack CREATE started", TimeoutMins: req.TimeoutMins,
		DisableRollback: req.DisableRollback, Tags: req.Tags,
		Description: c.tmpl.Description, StartedAt: &now,
	}
	if err := s.st.Create(ctx, st); err != nil {
		return nil, fmt.Errorf("store stack %s: %w", req.Name, err)
	}
	s.stackEvent(ctx, st)
	if err := s.opts.Enqueue(ctx, st.UUID); err != nil {
		return nil, fmt.Errorf("enqueue stack %s: %w", st.UUID, err)
	}
	return st, nil
}

// checkName refuses a name a live stack of the project has.
func (s *Service) checkName(ctx context.Context, projectID, name string) error {
	same, err := store.List[model.Stack](ctx, s.st, store.Query{ProjectID: projectID, Name: name})
	if err != nil {
		return fmt.Errorf("look up stack %s: %w", name, err)
	}
	for _, o := range same {
		if !o.Deleted() {
			return model.Conflictf("The Stack (%s) already exists.", name)
		}
	}
	return nil
}

// Get returns a stack by id.
func (s *Service) Get(ctx context.Context, stackID string) (*model.Stack, error) {
	st, err := store.Get[model.Stack](ctx, s.st, stackID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, model.NotFoundf("The Stack (%s) could not be found.", stackID)
	}
	if err != nil {
		return nil, fmt.Errorf("load stack %s: %w", stackID, err)
	}
	return st, nil
}

// Update validates a new definition of a stack, stores it as
// UPDATE_IN_PROGRESS and hands it to the conductors. The stack must not be
// in progress.
func (s *Service) Update(ctx context.Context, stackID string, req StackRequest) (*model.Stack, error) {
	st, err := s.Get(ctx, stackID)
	if err != nil {
		return nil, err
	}
	switch {
	case st.Deleted():
		return nil, model.NotFoundf("The Stack (%s) could not be found.", stackID)
	case st.ParentID != "":
		return nil, model.Invalidf("Stack %s is nested in stack %s; update its parent instead.", st.Name, st.ParentID)
	case st.InProgress():
		return nil, model.Conflictf("Updating a stack when it is (%s, %s) is not supported.", st.Action, st.Status)
	}
	def := model.StackDefinition{Template: req.Template, Files: req.Files,
		Environment: req.Environment, Parameters: req.Parameters}
	if req.Existing {
		if def.Template == "" {
			def.Template = st.Template
			def.Files = mergeStrings(st.Files, req.Files)
		}
		if def.Environment == "" {
			def.Environment = st.Environment
		}
		def.Parameters = mergeStrings(st.Parameters, req.Parameters)
	}
	if def.Template == "" {
		return nil, model.Invalidf("The template is invalid: no template was given")
	}
	c, err := s.compile(&def)
	if err != nil {
		return nil, err
	}
	now := s.opts.Now().UTC()
	prev := st.StackDefinition
	st.Previous = &prev
	st.StackDefinition = def
	st.Action, st.Status = model.ActionUpdate, model.StateInProgress
	st.StatusReason = "Stack UPDATE started"
	st.StartedAt = &now
	st.RollbackDeletes = false
	st.Description = c.tmpl.Description
	if req.TimeoutMins > 0 {
		st.TimeoutMins = req.TimeoutMins
	}
	if !req.Existing {
		st.DisableRollback = req.DisableRollback
	}
	if req.Tags != nil {
		st.Tags = req.Tags
	}
	if err := s.st.Update(ctx, st); err != nil {
		if errors.Is(err, store.ErrRevisionMismatch) {
			return nil, model.Conflictf("Stack %s changed during the update request; try again.", st.Name)
		}
		return nil, fmt.Errorf("store stack %s: %w", st.UUID, err)
	}
	s.stackEvent(ctx, st)
	if err := s.opts.Enqueue(ctx, st.UUID); err != nil {
		return nil, fmt.Errorf("enqueue stack %s: %w", st.UUID, err)
	}
	return st, nil
}

func mergeStrings(base, over map[string]string) map[string]string {
	if len(base) == 0 && len(over) == 0 {
		return nil
	}
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, over)
	return out
}

// Delete marks a stack for deletion and hands it to the conductors. An
// operation in progress on it stops and the delete takes over.
func (s *Service) Delete(ctx context.Context, stackID string) error {
	for {
		st, err := s.Get(ctx, stackID)
		if err != nil {
			return err
		}
		switch {
		case st.Deleted():
			return model.NotFoundf("The Stack (%s) could not be found.", stackID)
		case st.ParentID != "":
			return model.Invalidf("Stack %s is nested in stack %s; delete its parent instead.", st.Name, st.ParentID)
		case st.Action == model.ActionDelete && st.InProgress():
			return s.opts.Enqueue(ctx, st.UUID)
		}
		now := s.opts.Now().UTC()
		st.Action, st.Status, st.StatusReason = model.ActionDelete, model.StateInProgress, "Stack DELETE started"
		st.StartedAt, st.Previous, st.RollbackDeletes = &now, nil, false
		err = s.st.Update(ctx, st)
		if errors.Is(err, store.ErrRevisionMismatch) {
			continue
		}
		if err != nil {
			return fmt.Errorf("store stack %s: %w", st.UUID, err)
		}
		s.stackEvent(ctx, st)
		return s.opts.Enqueue(ctx, st.UUID)
	}
}

// Cancel stops the update in progress on a stack and rolls it back to the
// definition it had before.
func (s *Service) Cancel(ctx context.Context, stackID string) error {
	for {
		st, err := s.Get(ctx, stackID)
		if err != nil {
			return err
		}
		if st.Action != model.ActionUpdate || !st.InProgress() || st.Previous == nil {
			return model.Invalidf("Cancelling update when stack is %s is not supported.", st.StackStatus())
		}
		now := s.opts.Now().UTC()
		st.StackDefinition = *st.Previous
		st.Previous = nil
		st.Action, st.StatusReason = model.ActionRollback, "Stack UPDATE cancelled"
		st.StartedAt = &now
		err = s.st.Update(ctx, st)
		if errors.Is(err, store.ErrRevisionMismatch) {
			continue
		}
		if err != nil {
			return fmt.Errorf("store stack %s: %w", st.UUID, err)
		}
		s.stackEvent(ctx, st)
		return s.opts.Enqueue(ctx, st.UUID)
	}
}

// stackEvent records a stack transition as an event, best effort: the
// transition itself is what counts.
func (s *Service) stackEvent(ctx context.Context, st *model.Stack) {
	if err := s.st.Create(ctx, stackEventOf(st, s.opts.Now())); err != nil {
		s.log.Warn("stack event not recorded", "stack", st.UUID, "error", err)
	}
}

func stackEventOf(st *model.Stack, now time.Time) *model.StackEvent {
	return &model.StackEvent{StackID: st.UUID, ProjectID: st.ProjectID, ResourceName: st.Name,
		ResourceType: "OS::Heat::Stack", PhysicalID: st.UUID, Action: st.Action,
		Status: st.Status, Reason: st.StatusReason, Time: now.UTC()}
}

// Resources returns the resources of a stack in creation order.
func (s *Service) Resources(ctx context.Context, stackID string) ([]*model.StackResource, error) {
	rs, err := store.List[model.StackResource](ctx, s.st, store.Query{Parent: stackID})
	if err != nil {
		return nil, fmt.Errorf("list resources of stack %s: %w", stackID, err)
	}
	return rs, nil
}

// Resource returns one resource of a stack by name.
func (s *Service) Resource(ctx context.Context, stackID, name string) (*model.StackResource, error) {
	rs, err := store.List[model.StackResource](ctx, s.st, store.Query{Parent: stackID, Name: name})
	if err != nil {
		return nil, fmt.Errorf("load resource %s of stack %s: %w", name, stackID, err)
	}
	if len(rs) == 0 {
		return nil, model.NotFoundf("The Resource (%s) could not be found in Stack %s.", name, stackID)
	}
	return rs[0], nil
}
