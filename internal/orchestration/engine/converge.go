package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/hot"
	"github.com/slipway/slipway/internal/orchestration/plan"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/store"
)

// failure is a permanent failure of an operation: a resource that failed,
// a template that no longer evaluates, a timeout. Its text is what the
// user sees as the stack's status_reason. Any other error from an
// operation is transient (the store) and worth a retry.
type failure struct{ reason string }

func (f *failure) Error() string { return f.reason }

func failf(format string, a ...any) error { return &failure{reason: fmt.Sprintf(format, a...)} }

// isFailure reports whether every error joined in err is a failure.
func isFailure(err error) bool {
	if err == nil {
		return false
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !isFailure(e) {
				return false
			}
		}
		return true
	}
	var f *failure
	return errors.As(err, &f)
}

// failureReason returns the reasons of the failures in err, one per line.
func failureReason(err error) string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var parts []string
		for _, e := range j.Unwrap() {
			parts = append(parts, failureReason(e))
		}
		return strings.Join(parts, "\n")
	}
	return err.Error()
}

// errTimedOut is the cause of a context that an operation's timeout ended,
// and errSuperseded of one that ended because the stack changed under the
// operation (a cancel or a delete).
var (
	errTimedOut   = errors.New("timed out")
	errSuperseded = errors.New("stack changed under the operation")
)

// interrupted reports whether ctx ended for a reason other than the
// operation's timeout: the work stops without recording a failure, and the
// next reconcile resumes it.
func interrupted(ctx context.Context) bool {
	return ctx.Err() != nil && !errors.Is(context.Cause(ctx), errTimedOut)
}

// run is one reconcile of a top-level stack: the batched writes and the
// plugin host shared by the stack and its nested stacks.
type run struct {
	svc *Service
	b   *batcher
}

// entry is one resource of a stack during an operation. Only the task of
// that resource touches it once the walk has started.
type entry struct {
	rec *model.StackResource
	// stored says rec exists in the store (or is queued to be created).
	stored bool
	want   *wanted
}

// wanted is a resource of the template, enabled by its condition.
type wanted struct {
	res    *hot.Resource
	impl   string
	plugin resources.Plugin
	deps   []string
}

// evaluated is a resource's definition with its expressions evaluated.
type evaluated struct {
	props          map[string]any
	metadata       any
	updatePolicy   any
	deletionPolicy string
	hash           string
	propHashes     map[string]string
}

// stackRun is one stack's part of an operation.
type stackRun struct {
	run     *run
	st      *model.Stack
	c       *compiled
	view    *view
	entries map[string]*entry
	refresh map[string]bool
	// requiredBy lists, per resource, the resources that depend on it.
	requiredBy map[string][]string
	slots      slots
	plan       *plan.Plan
	// facade answers resource_facade in a nested stack.
	facade map[string]any
}

// deletes reports whether the operation on st removes every resource.
func deletes(st *model.Stack) bool {
	return st.Action == model.ActionDelete || (st.Action == model.ActionRollback && st.RollbackDeletes)
}

// converge brings st's resources to what its definition asks for (or
// deletes them all). It returns the stack's run, for its outputs, and the
// joined failures of its resources.
func (r *run) converge(ctx context.Context, st *model.Stack) (*stackRun, error) {
	if err := r.b.flush(ctx); err != nil {
		return nil, err
	}
	recs, err := store.List[model.StackResource](ctx, r.svc.st, store.Query{Parent: st.UUID})
	if err != nil {
		return nil, fmt.Errorf("load resources of stack %s: %w", st.UUID, err)
	}
	marks, err := store.List[model.StackSignal](ctx, r.svc.st, store.Query{Ref: st.UUID, Name: purposeRefresh})
	if err != nil {
		return nil, fmt.Errorf("load refresh marks of stack %s: %w", st.UUID, err)
	}
	sr := &stackRun{run: r, st: st, view: newView(), entries: map[string]*entry{},
		refresh: map[string]bool{}, requiredBy: map[string][]string{},
		slots: make(slots, r.svc.opts.Concurrency)}
	for _, m := range marks {
		sr.refresh[m.ResourceID] = true
	}
	for _, rec := range recs {
		sr.entries[rec.Name] = &entry{rec: rec, stored: true}
		sr.view.known[rec.Name] = true
		if rec.PhysicalID != "" && !rec.Reserved {
			if p, err := r.svc.pluginOf(rec); err == nil {
				sr.view.res[rec.Name] = publication(rec, p)
			}
		}
	}
	var desired []plan.Desired
	if !deletes(st) {
		c, err := r.svc.compile(&st.StackDefinition)
		if err != nil {
			return sr, failf("The template is no longer valid: %v", err)
		}
		sr.c = c
		if sr.facade, err = r.facade(ctx, st); err != nil {
			return sr, err
		}
		if desired, err = sr.desired(); err != nil {
			return sr, err
		}
	}
	var observed []plan.Observed
	for _, rec := range recs {
		observed = append(observed, sr.observed(rec))
	}
	p, err := plan.Build(desired, observed)
	if err != nil {
		return sr, failf("%v", err)
	}
	sr.plan = p
	var tasks []task
	for _, step := range p.Steps {
		switch step.Action {
		case plan.Create, plan.Update, plan.Replace:
			tasks = append(tasks, task{id: step.ID, after: step.After, run: func(ctx context.Context) error { return sr.apply(ctx, step) }})
		case plan.None:
			if step.Recheck {
				tasks = append(tasks, task{id: step.ID, after: step.After, run: func(ctx context.Context) error { return sr.apply(ctx, step) }})
			} else if err := sr.touch(step.Name); err != nil {
				return sr, err
			}
		case plan.Delete:
			tasks = append(tasks, task{id: step.ID, after: step.After, run: func(ctx context.Context) error { return sr.remove(ctx, step) }})
		case plan.Cleanup:
			tasks = append(tasks, task{id: step.ID, after: step.After, run: func(ctx context.Context) error { return sr.cleanup(ctx, step) }})
		}
	}
	return sr, walk(ctx, tasks, sr.slots)
}

// facade returns what resource_facade answers in a nested stack: the
// metadata and policies of the resource that owns it.
func (r *run) facade(ctx context.Context, st *model.Stack) (map[string]any, error) {
	if st.ParentID == "" {
		return nil, nil
	}
	recs, err := store.List[model.StackResource](ctx, r.svc.st, store.Query{Parent: st.ParentID, Name: st.ParentResource})
	if err != nil {
		return nil, fmt.Errorf("load the resource owning stack %s: %w", st.UUID, err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	policy := recs[0].DeletionPolicy
	if policy == "" {
		policy = "Delete"
	}
	return map[string]any{"metadata": recs[0].Metadata, "deletion_policy": policy, "update_policy": nil}, nil
}

// desired evaluates the template's enabled resources against the stored
// state.
func (sr *stackRun) desired() ([]plan.Desired, error) {
	t := sr.c.tmpl
	for _, res := range t.Resources {
		sr.view.known[res.Name] = true
		on, err := sr.enabled(res)
		if err != nil {
			return nil, failf("%v", err)
		}
		if !on {
			sr.view.disabled[res.Name] = true
		}
	}
	var out []plan.Desired
	for _, res := range t.Resources {
		if sr.view.disabled[res.Name] {
			continue
		}
		impl := sr.c.env.ResolveResourceType(res.Name, res.Type)
		p, ok := sr.run.svc.reg.Lookup(impl)
		if !ok {
			return nil, failf("resources.%s: The Resource Type (%s) could not be found.", res.Name, impl)
		}
		var deps []string
		for _, d := range t.Dependencies(res) {
			if !sr.view.disabled[d] {
				deps = append(deps, d)
			}
		}
		w := &wanted{res: res, impl: impl, plugin: p, deps: deps}
		e := sr.entries[res.Name]
		if e == nil {
			e = &entry{}
			sr.entries[res.Name] = e
		}
		e.want = w
		for _, d := range deps {
			sr.requiredBy[d] = append(sr.requiredBy[d], res.Name)
		}
		d := plan.Desired{Name: res.Name, Type: impl, DependsOn: deps}
		// An expression that cannot be evaluated yet leaves the hash
		// unknown: the step evaluates again when it runs, and a real
		// error shows there.
		if ev, err := sr.evaluate(w); err == nil {
			sr.fillDesired(&d, w, ev)
		}
		out = append(out, d)
	}
	return out, nil
}

// fillDesired completes a plan.Desired from an evaluation.
func (sr *stackRun) fillDesired(d *plan.Desired, w *wanted, ev *evaluated) {
	d.Hash, d.Props, d.DeletionPolicy = ev.hash, ev.propHashes, ev.deletionPolicy
	d.UpdateAllowed = updateAllowed(w, ev)
	if dec, ok := w.plugin.(resources.UpdateDecider); ok {
		switch dec.UpdateMode(&resources.Resource{Name: w.res.Name, Type: w.res.Type, Properties: ev.props}) {
		case resources.UpdateNever:
			d.NeverUpdate = true
		case resources.UpdateReplace:
			d.ForceReplace = true
		}
	}
}

// metadataKey is the pseudo-property under which metadata is digested:
// metadata always changes in place.
const metadataKey = "(metadata)"

// updateAllowed lists the properties of w that change in place: those the
// schema marks update_allowed, every property of a template resource, and
// the metadata.
func updateAllowed(w *wanted, ev *evaluated) []string {
	out := []string{metadataKey}
	if hot.IsTemplateType(w.impl) {
		for k := range ev.props {
			out = append(out, k)
		}
		return out
	}
	return append(out, schemaUpdateAllowed(w.plugin.Schema())...)
}

// enabled evaluates a resource's condition.
func (sr *stackRun) enabled(res *hot.Resource) (bool, error) {
	switch c := res.Condition.(type) {
	case nil:
		return true, nil
	case bool:
		return c, nil
	case string:
		v, ok := sr.c.conds[c]
		if !ok {
			return false, fmt.Errorf("resources.%s.condition: Invalid condition \"%s\"", res.Name, c)
		}
		return v, nil
	}
	v, err := hot.Eval(res.Condition, sr.evalContext("resources."+res.Name+".condition"))
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("resources.%s.condition: the condition does not evaluate to a boolean", res.Name)
	}
	return b, nil
}

func (sr *stackRun) evalContext(path string) *hot.EvalContext {
	return &hot.EvalContext{Params: sr.c.params, Conditions: sr.c.conds, Files: sr.st.Files,
		Resolver: sr.view, StackName: sr.st.Name, StackID: sr.st.UUID, ProjectID: sr.st.ProjectID, Facade: sr.facade, Path: path}
}

// evaluate resolves a resource's properties, metadata and policies against
// the view as it stands.
func (sr *stackRun) evaluate(w *wanted) (*evaluated, error) {
	name := w.res.Name
	raw, err := hot.Eval(w.res.Properties, sr.evalContext("resources."+name+".properties"))
	if err != nil {
		return nil, err
	}
	props := map[string]any{}
	switch m := raw.(type) {
	case nil:
	case map[string]any:
		for k, v := range m {
			if v != nil {
				props[k] = v
			}
		}
	default:
		return nil, fmt.Errorf("resources.%s.properties: properties must be a map", name)
	}
	ev := &evaluated{props: props, deletionPolicy: w.res.DeletionPolicy}
	if w.res.Metadata != nil {
		if ev.metadata, err = hot.Eval(w.res.Metadata, sr.evalContext("resources."+name+".metadata")); err != nil {
			return nil, err
		}
	}
	if w.res.UpdatePolicy != nil {
		if ev.updatePolicy, err = hot.Eval(w.res.UpdatePolicy, sr.evalContext("resources."+name+".update_policy")); err != nil {
			return nil, err
		}
	}
	if w.res.DeletionPolicyExpr != nil {
		v, err := hot.Eval(w.res.DeletionPolicyExpr, sr.evalContext("resources."+name+".deletion_policy"))
		if err != nil {
			return nil, err
		}
		s, _ := v.(string)
		switch strings.ToLower(s) {
		case "retain":
			ev.deletionPolicy = plan.RetainPolicy
		case "snapshot":
			ev.deletionPolicy = "Snapshot"
		default:
			ev.deletionPolicy = "Delete"
		}
	}
	ev.propHashes = make(map[string]string, len(props)+1)
	for k, v := range props {
		ev.propHashes[k] = digest(v)
	}
	if ev.metadata != nil {
		ev.propHashes[metadataKey] = digest(ev.metadata)
	}
	keys := slices.Sorted(maps.Keys(ev.propHashes))
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(ev.propHashes[k]))
		h.Write([]byte{0})
	}
	ev.hash = hex.EncodeToString(h.Sum(nil))[:32]
	return ev, nil
}

// digest is a short, stable digest of a value.
func digest(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprintf("%#v", v))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// observed describes a stored resource to the planner.
func (sr *stackRun) observed(rec *model.StackResource) plan.Observed {
	typ := rec.Implementation
	if typ == "" {
		typ = rec.Type
	}
	return plan.Observed{Name: rec.Name, Type: typ, Action: rec.Action, Status: rec.Status,
		HasPhysical: rec.PhysicalID != "", Hash: rec.PropertiesHash, Props: rec.PropertyHashes,
		DependsOn: rec.DependsOn, DeletionPolicy: rec.DeletionPolicy, Replaced: len(rec.Replaced),
		Refresh: sr.refresh[rec.UUID]}
}

// plugin returns the plugin of a stored resource.
func (s *Service) pluginOf(rec *model.StackResource) (resources.Plugin, error) {
	typ := rec.Implementation
	if typ == "" {
		typ = rec.Type
	}
	p, ok := s.reg.Lookup(typ)
	if !ok {
		return nil, fmt.Errorf("The Resource Type (%s) could not be found.", typ)
	}
	return p, nil
}

// publication is what other resources read of rec.
func publication(rec *model.StackResource, p resources.Plugin) published {
	pub := published{id: rec.PhysicalID, attrs: rec.Attributes}
	pub.resolver, _ = p.(resources.AttributeResolver)
	if ref, ok := p.(resources.Referencer); ok && pub.id != "" {
		pub.id = ref.ReferenceID(rec.PhysicalID, rec.Attributes)
	}
	return pub
}

// touch records a changed dependency list on a resource the plan leaves
// alone, so that later deletes follow the current graph.
func (sr *stackRun) touch(name string) error {
	e := sr.entries[name]
	if e == nil || e.rec == nil || e.want == nil {
		return nil
	}
	req := sr.requiredBy[name]
	if slices.Equal(e.rec.DependsOn, e.want.deps) && slices.Equal(e.rec.RequiredBy, req) {
		return nil
	}
	e.rec.DependsOn, e.rec.RequiredBy = e.want.deps, req
	return sr.run.b.post(updateOp(snapshot(e.rec)))
}

// snapshot copies a record for the batcher, so that later changes to the
// live record do not race the write.
func snapshot(rec *model.StackResource) *model.StackResource {
	c := *rec
	c.Data = maps.Clone(rec.Data)
	return &c
}

// transition records a resource's new state with its event. With wait set
// it returns once both are committed.
func (sr *stackRun) transition(ctx context.Context, e *entry, reason string, wait bool, extra ...op) error {
	rec := e.rec
	rec.StatusReason = reason
	ops := make([]op, 0, 2+len(extra))
	if e.stored {
		ops = append(ops, updateOp(snapshot(rec)))
	} else {
		ops = append(ops, createOp(snapshot(rec)))
		e.stored = true
	}
	ops = append(ops, createOp(sr.event(rec, rec.PhysicalID, rec.Action, rec.Status, reason)))
	ops = append(ops, extra...)
	if wait {
		return sr.run.b.write(ctx, ops...)
	}
	return sr.run.b.post(ops...)
}

func (sr *stackRun) event(rec *model.StackResource, physicalID string, action model.StackAction, status model.StackState, reason string) *model.StackEvent {
	return &model.StackEvent{StackID: sr.st.UUID, ProjectID: sr.st.ProjectID, ResourceName: rec.Name,
		ResourceType: rec.Type, PhysicalID: physicalID, Action: action, Status: status,
		Reason: reason, Time: sr.run.svc.opts.Now().UTC()}
}

// pluginResource is what a plugin sees of a stored resource: with ev, the
// evaluated definition, else the stored properties; schema defaults
// filled in either way.
func (sr *stackRun) pluginResource(rec *model.StackResource, p resources.Plugin, ev *evaluated) *resources.Resource {
	r := (&host{svc: sr.run.svc, run: sr.run}).pluginResource(sr.st, rec)
	props := rec.Properties
	if ev != nil {
		props = ev.props
		r.Metadata = ev.metadata
		r.UpdatePolicy = ev.updatePolicy
	}
	r.Properties = withDefaults(p.Schema(), props)
	return r
}

// apply carries out a create, update or replace step, deciding again for a
// step whose dependencies changed.
func (sr *stackRun) apply(ctx context.Context, step plan.Step) error {
	e := sr.entries[step.Name]
	w := e.want
	ev, err := sr.evaluate(w)
	if err != nil {
		return sr.failBeforeStart(ctx, e, step, err)
	}
	action, reason := step.Action, step.Reason
	if e.rec != nil && (step.Recheck || action == plan.Update) {
		d := plan.Desired{Name: step.Name, Type: w.impl, DependsOn: w.deps}
		sr.fillDesired(&d, w, ev)
		o := sr.observed(e.rec)
		action, reason, _ = plan.Decide(&d, &o)
	}
	switch action {
	case plan.None:
		sr.publish(e.rec, w.plugin)
		return sr.touch(step.Name)
	case plan.Update:
		return sr.update(ctx, e, ev, reason)
	}
	return sr.create(ctx, e, ev, action == plan.Replace, reason)
}

// failBeforeStart records a resource whose definition could not be
// evaluated.
func (sr *stackRun) failBeforeStart(ctx context.Context, e *entry, step plan.Step, err error) error {
	action := model.ActionCreate
	if e.rec == nil {
		e.rec = sr.newRecord(e.want)
	} else if step.Action == plan.Update {
		action = model.ActionUpdate
	}
	e.rec.Action, e.rec.Status = action, model.StateFailed
	reason := err.Error()
	if werr := sr.transition(ctx, e, reason, false); werr != nil {
		return werr
	}
	return failf("Resource %s failed: %s", action, reason)
}

func (sr *stackRun) newRecord(w *wanted) *model.StackResource {
	return &model.StackResource{Meta: model.Meta{UUID: uuid.NewString()}, StackID: sr.st.UUID,
		ProjectID: sr.st.ProjectID, Name: w.res.Name, Type: w.res.Type, Implementation: w.impl,
		Action: model.ActionInit, Status: model.StateComplete, Description: w.res.Description}
}

// publish makes a resource's id and attributes readable by the
// expressions of the resources that depend on it.
func (sr *stackRun) publish(rec *model.StackResource, p resources.Plugin) {
	if rec == nil {
		return
	}
	sr.view.publish(rec.Name, publication(rec, p))
}

// describe fills the parts of a record that come from the template.
func (sr *stackRun) describe(rec *model.StackResource, w *wanted, ev *evaluated) {
	rec.Type, rec.Implementation, rec.Description = w.res.Type, w.impl, w.res.Description
	rec.DependsOn, rec.RequiredBy = w.deps, sr.requiredBy[w.res.Name]
	rec.DeletionPolicy = ev.deletionPolicy
}

// create makes a resource, or its replacement, or resumes an interrupted
// create: the reserved physical id is persisted before the plugin runs,
// and a resumed create asks the plugin whether the resource exists first.
func (sr *stackRun) create(ctx context.Context, e *entry, ev *evaluated, replace bool, reason string) error {
	w := e.want
	rec := e.rec
	resumed := rec != nil && rec.Action == model.ActionCreate && rec.Status == model.StateInProgress &&
		rec.Reserved && rec.PhysicalID != "" && !replace
	if resumed {
		res := sr.pluginResource(rec, w.plugin, ev)
		found, err := w.plugin.Check(ctx, res)
		if err != nil {
			return sr.createFailed(ctx, e, res, err)
		}
		if found {
			return sr.created(ctx, e, w, ev, res)
		}
	} else {
		if rec == nil {
			rec = sr.newRecord(w)
			e.rec = rec
		}
		if replace && rec.PhysicalID != "" {
			old := model.ReplacedResource{PhysicalID: rec.PhysicalID, Type: rec.Implementation,
				Properties: rec.Properties, Data: rec.Data, Nested: rec.NestedID}
			if old.Type == "" {
				old.Type = rec.Type
			}
			rec.Replaced = append(slices.Clone(rec.Replaced), old)
		}
		sr.describe(rec, w, ev)
		rec.PhysicalID, rec.Reserved = uuid.NewString(), true
		rec.NestedID, rec.Data, rec.Attributes = "", nil, nil
		rec.Properties, rec.Metadata = ev.props, ev.metadata
		rec.Action, rec.Status = model.ActionCreate, model.StateInProgress
		// The reservation must be durable before anything is created
		// outside the store; internal types create nothing outside it.
		_, internal := w.plugin.(resources.Internal)
		if err := sr.transition(ctx, e, reason, !internal); err != nil {
			return err
		}
	}
	res := sr.pluginResource(rec, w.plugin, ev)
	id, err := w.plugin.Create(ctx, res)
	if err != nil {
		return sr.createFailed(ctx, e, res, err)
	}
	if id != "" {
		res.PhysicalID = id
	}
	return sr.created(ctx, e, w, ev, res)
}

func (sr *stackRun) createFailed(ctx context.Context, e *entry, res *resources.Resource, err error) error {
	if interrupted(ctx) {
		return context.Cause(ctx)
	}
	rec := e.rec
	rec.Data, rec.NestedID = res.Data, res.NestedID
	rec.Status = model.StateFailed
	reason := resourceReason(ctx, rec.Name, model.ActionCreate, err)
	if werr := sr.transition(ctx, e, reason, false); werr != nil {
		return werr
	}
	return failf("Resource CREATE failed: %s", reason)
}

// resourceReason is the status reason of a failed resource.
func resourceReason(ctx context.Context, name string, action model.StackAction, err error) string {
	if errors.Is(context.Cause(ctx), errTimedOut) {
		return fmt.Sprintf("resources.%s: %s aborted: timed out", name, action)
	}
	var f *failure
	if errors.As(err, &f) {
		return fmt.Sprintf("resources.%s: %s", name, f.reason)
	}
	return fmt.Sprintf("resources.%s: %v", name, err)
}

// created records a resource whose create (or adoption) succeeded.
func (sr *stackRun) created(ctx context.Context, e *entry, w *wanted, ev *evaluated, res *resources.Resource) error {
	attrs, err := w.plugin.Attributes(ctx, res)
	if err != nil {
		return sr.createFailed(ctx, e, res, err)
	}
	rec := e.rec
	rec.PhysicalID, rec.Reserved = res.PhysicalID, false
	rec.Data, rec.NestedID, rec.Attributes = res.Data, res.NestedID, attrs
	rec.Properties, rec.Metadata = ev.props, ev.metadata
	rec.PropertiesHash, rec.PropertyHashes = ev.hash, ev.propHashes
	rec.Action, rec.Status = model.ActionCreate, model.StateComplete
	extra := sr.clearRefresh(rec)
	if err := sr.transition(ctx, e, "state changed", false, extra...); err != nil {
		return err
	}
	sr.publish(rec, w.plugin)
	return nil
}

// clearRefresh returns the write that drops a resource's refresh marks.
func (sr *stackRun) clearRefresh(rec *model.StackResource) []op {
	if !sr.refresh[rec.UUID] {
		return nil
	}
	return []op{deleteWhereOp(model.KindStackSignal, store.Query{Parent: rec.UUID, Name: purposeRefresh})}
}

// update changes a resource in place.
func (sr *stackRun) update(ctx context.Context, e *entry, ev *evaluated, reason string) error {
	w, rec := e.want, e.rec
	old := sr.pluginResource(rec, w.plugin, nil)
	res := sr.pluginResource(rec, w.plugin, ev)
	if rec.Action != model.ActionUpdate || rec.Status != model.StateInProgress {
		rec.Action, rec.Status = model.ActionUpdate, model.StateInProgress
		if err := sr.transition(ctx, e, reason, false); err != nil {
			return err
		}
	}
	if err := w.plugin.Update(ctx, res, old); err != nil {
		if interrupted(ctx) {
			return context.Cause(ctx)
		}
		rec.Data, rec.NestedID = res.Data, res.NestedID
		rec.Status = model.StateFailed
		r := resourceReason(ctx, rec.Name, model.ActionUpdate, err)
		if werr := sr.transition(ctx, e, r, false); werr != nil {
			return werr
		}
		return failf("Resource UPDATE failed: %s", r)
	}
	attrs, err := w.plugin.Attributes(ctx, res)
	if err != nil {
		rec.Status = model.StateFailed
		r := resourceReason(ctx, rec.Name, model.ActionUpdate, err)
		if werr := sr.transition(ctx, e, r, false); werr != nil {
			return werr
		}
		return failf("Resource UPDATE failed: %s", r)
	}
	sr.describe(rec, w, ev)
	rec.Data, rec.NestedID, rec.Attributes = res.Data, res.NestedID, attrs
	if res.PhysicalID != "" {
		rec.PhysicalID = res.PhysicalID
	}
	rec.Properties, rec.Metadata = ev.props, ev.metadata
	rec.PropertiesHash, rec.PropertyHashes = ev.hash, ev.propHashes
	rec.Status = model.StateComplete
	if err := sr.transition(ctx, e, "state changed", false, sr.clearRefresh(rec)...); err != nil {
		return err
	}
	sr.publish(rec, w.plugin)
	return nil
}

// remove deletes a resource the template no longer has (or every resource,
// when the stack is deleted), keeping the physical resource under the
// Retain policy.
func (sr *stackRun) remove(ctx context.Context, step plan.Step) error {
	e := sr.entries[step.Name]
	rec := e.rec
	sr.view.unpublish(rec.Name)
	if rec.Action != model.ActionDelete || rec.Status != model.StateInProgress {
		rec.Action, rec.Status = model.ActionDelete, model.StateInProgress
		if err := sr.transition(ctx, e, "state changed", false); err != nil {
			return err
		}
	}
	reason := "state changed"
	if step.Retain {
		reason = "deletion_policy Retain: the physical resource is kept"
	} else if err := sr.deletePhysical(ctx, rec); err != nil {
		if interrupted(ctx) {
			return context.Cause(ctx)
		}
		rec.Status = model.StateFailed
		r := resourceReason(ctx, rec.Name, model.ActionDelete, err)
		if werr := sr.transition(ctx, e, r, false); werr != nil {
			return werr
		}
		return failf("Resource DELETE failed: %s", r)
	}
	ev := sr.event(rec, rec.PhysicalID, model.ActionDelete, model.StateComplete, reason)
	ops := []op{createOp(ev), deleteOp(model.KindStackResource, rec.UUID)}
	p, _ := sr.run.svc.pluginOf(rec)
	if _, signalled := p.(resources.Signaler); signalled || sr.refresh[rec.UUID] {
		ops = append(ops, deleteWhereOp(model.KindStackSignal, store.Query{Parent: rec.UUID}))
	}
	return sr.run.b.post(ops...)
}

// deletePhysical deletes a record's physical resource and whatever it
// replaced.
func (sr *stackRun) deletePhysical(ctx context.Context, rec *model.StackResource) error {
	if err := sr.deleteReplaced(ctx, rec, false); err != nil {
		return err
	}
	if rec.PhysicalID == "" {
		return nil
	}
	p, err := sr.run.svc.pluginOf(rec)
	if err != nil {
		return err
	}
	return p.Delete(ctx, sr.pluginResource(rec, p, nil))
}

// cleanup deletes the physical resources a replacement superseded.
func (sr *stackRun) cleanup(ctx context.Context, step plan.Step) error {
	e := sr.entries[step.Name]
	if err := sr.deleteReplaced(ctx, e.rec, step.Retain); err != nil {
		if interrupted(ctx) {
			return context.Cause(ctx)
		}
		return failf("Resource DELETE failed: %s", resourceReason(ctx, step.Name, model.ActionDelete, err))
	}
	return nil
}

// deleteReplaced deletes rec.Replaced, oldest first, recording each.
func (sr *stackRun) deleteReplaced(ctx context.Context, rec *model.StackResource, retain bool) error {
	for len(rec.Replaced) > 0 {
		old := rec.Replaced[0]
		if err := sr.run.b.post(createOp(sr.event(rec, old.PhysicalID, model.ActionDelete, model.StateInProgress, "replaced resource"))); err != nil {
			return err
		}
		reason := "state changed"
		if retain {
			reason = "deletion_policy Retain: the physical resource is kept"
		} else {
			p, ok := sr.run.svc.reg.Lookup(old.Type)
			if !ok {
				return fmt.Errorf("The Resource Type (%s) could not be found.", old.Type)
			}
			res := (&host{svc: sr.run.svc, run: sr.run}).pluginResource(sr.st, rec)
			res.PhysicalID, res.Properties, res.Data, res.NestedID = old.PhysicalID, old.Properties, maps.Clone(old.Data), old.Nested
			res.Attributes = nil
			if err := p.Delete(ctx, res); err != nil {
				return err
			}
		}
		rec.Replaced = slices.Clone(rec.Replaced[1:])
		if len(rec.Replaced) == 0 {
			rec.Replaced = nil
		}
		if err := sr.run.b.post(updateOp(snapshot(rec)),
			createOp(sr.event(rec, old.PhysicalID, model.ActionDelete, model.StateComplete, reason))); err != nil {
			return err
		}
	}
	return nil
}

// outputs evaluates the stack's outputs against its resources.
func (sr *stackRun) outputs() []model.StackOutput {
	if sr == nil || sr.c == nil {
		return nil
	}
	var out []model.StackOutput
	for _, o := range sr.c.tmpl.Outputs {
		so := model.StackOutput{Key: o.Name, Description: o.Description}
		if o.Condition != nil {
			on, err := sr.outputEnabled(o)
			if err != nil {
				so.Error = err.Error()
				out = append(out, so)
				continue
			}
			if !on {
				continue
			}
		}
		v, err := hot.Eval(o.Value, sr.evalContext("outputs."+o.Name+".value"))
		if err != nil {
			so.Error = err.Error()
		} else {
			so.Value = v
		}
		out = append(out, so)
	}
	return out
}

func (sr *stackRun) outputEnabled(o *hot.Output) (bool, error) {
	switch c := o.Condition.(type) {
	case bool:
		return c, nil
	case string:
		return sr.c.conds[c], nil
	}
	v, err := hot.Eval(o.Condition, sr.evalContext("outputs."+o.Name+".condition"))
	if err != nil {
		return false, err
	}
	b, _ := v.(bool)
	return b, nil
}

// outputMap returns outputs by key, for a nested stack's parent.
func outputMap(outs []model.StackOutput) map[string]any {
	m := make(map[string]any, len(outs))
	for _, o := range outs {
		m[o.Key] = o.Value
	}
	return m
}

// sortedNames returns the keys of m, sorted.
func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
