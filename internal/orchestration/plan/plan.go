package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/slipway/slipway/internal/model"
)

// Action is what an operation does to one resource.
type Action string

// The actions a plan holds.
const (
	// None leaves the resource as it is.
	None Action = "none"
	// Create makes a resource that does not exist yet (or resumes a create
	// that was interrupted).
	Create Action = "create"
	// Update changes the resource in place.
	Update Action = "update"
	// Replace makes a new resource and deletes the old one once nothing
	// depends on it any more (see Cleanup).
	Replace Action = "replace"
	// Delete removes a resource the template no longer has.
	Delete Action = "delete"
	// Cleanup deletes the physical resources that replacements superseded.
	Cleanup Action = "cleanup"
)

// RetainPolicy is the deletion policy that keeps the physical resource.
const RetainPolicy = "Retain"

// Desired is one resource the template asks for, as the engine evaluated it.
type Desired struct {
	Name string
	Type string
	// DependsOn names the resources this one needs first: those its
	// properties reference and those of depends_on.
	DependsOn []string
	// Hash digests the resolved properties. Empty means they could not be
	// resolved yet because they reference a resource that does not exist.
	Hash string
	// Props digests each resolved property by name.
	Props map[string]string
	// UpdateAllowed names the properties the type changes in place; a
	// change to any other property replaces the resource.
	UpdateAllowed []string
	// NeverUpdate says the type ignores property changes (OS::Heat::None).
	NeverUpdate bool
	// ForceReplace says the type wants any change done by replacement.
	ForceReplace bool
	// DeletionPolicy is the template's deletion_policy (Delete, Retain or
	// Snapshot).
	DeletionPolicy string
}

// Observed is one resource as the store holds it.
type Observed struct {
	Name   string
	Type   string
	Action model.StackAction
	Status model.StackState
	// HasPhysical says a physical resource exists or may exist.
	HasPhysical    bool
	Hash           string
	Props          map[string]string
	DependsOn      []string
	DeletionPolicy string
	// Replaced counts superseded physical resources still to delete.
	Replaced int
	// Refresh says something outside the template (a signal) asked for the
	// resource to be updated.
	Refresh bool
}

// Step is the action on one resource and what must finish before it.
type Step struct {
	// ID is unique within the plan: the resource name, or
	// "cleanup:"+name for a cleanup step.
	ID     string `json:"id"`
	Name   string `json:"name"`
	Type   string `json:"type,omitempty"`
	Action Action `json:"action"`
	// Reason says why, for events and for the golden files.
	Reason string `json:"reason,omitempty"`
	// After lists the IDs of the steps that must finish first.
	After []string `json:"after,omitempty"`
	// Recheck says the resource's properties depend on resources that
	// change in this plan: the engine evaluates them again once those are
	// done and decides with Decide.
	Recheck bool `json:"recheck,omitempty"`
	// Retain says a delete keeps the physical resource.
	Retain bool `json:"retain,omitempty"`
	// Changed names the properties that differ, for an update or replace.
	Changed []string `json:"changed,omitempty"`
}

// Plan is the set of steps of one operation, in an order that respects
// every step's After list.
type Plan struct {
	Steps []Step `json:"steps"`
}

// Changes reports whether any step does something.
func (p *Plan) Changes() bool {
	for _, s := range p.Steps {
		if s.Action != None || s.Recheck {
			return true
		}
	}
	return false
}

// Step returns the step with the given ID.
func (p *Plan) Step(id string) (Step, bool) {
	for _, s := range p.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return Step{}, false
}

// CleanupID returns the ID of the cleanup step of resource name.
func CleanupID(name string) string { return "cleanup:" + name }

// Build plans an operation that takes the stored resources to the desired
// ones. The desired list is in template order, and that order breaks ties.
// It fails when the desired resources have a dependency cycle.
func Build(desired []Desired, observed []Observed) (*Plan, error) {
	want := make(map[string]*Desired, len(desired))
	for i := range desired {
		d := &desired[i]
		if _, dup := want[d.Name]; dup {
			return nil, fmt.Errorf("resource %s is desired twice", d.Name)
		}
		want[d.Name] = d
	}
	have := make(map[string]*Observed, len(observed))
	for i := range observed {
		have[observed[i].Name] = &observed[i]
	}

	order, err := topoOrder(desired, want)
	if err != nil {
		return nil, err
	}

	// Old dependents: who depended on each stored resource.
	oldDependents := map[string][]string{}
	for _, o := range observed {
		for _, dep := range o.DependsOn {
			oldDependents[dep] = append(oldDependents[dep], o.Name)
		}
	}
	for k := range oldDependents {
		sort.Strings(oldDependents[k])
	}

	p := &Plan{}
	actions := map[string]Action{}
	recheck := map[string]bool{}
	for _, d := range order {
		o := have[d.Name]
		var deps []string
		for _, dep := range d.DependsOn {
			if _, ok := want[dep]; ok && !slices.Contains(deps, dep) {
				deps = append(deps, dep)
			}
		}
		s := Step{ID: d.Name, Name: d.Name, Type: d.Type, After: deps}
		changing := false
		for _, dep := range deps {
			if actions[dep] != None || recheck[dep] {
				changing = true
			}
		}
		switch {
		case o == nil:
			s.Action, s.Reason = Create, "not created yet"
		case d.Hash == "" || changing:
			// The properties depend on resources this plan changes;
			// decide from what is known now, and again when they are done.
			s.Action, s.Reason, s.Changed = Decide(d, o)
			s.Recheck = s.Action != Create && s.Action != Replace
		default:
			s.Action, s.Reason, s.Changed = Decide(d, o)
		}
		actions[d.Name], recheck[d.Name] = s.Action, s.Recheck
		p.Steps = append(p.Steps, s)
	}

	// Deletes of removed resources, in reverse dependency order of the
	// stored graph: a resource goes after everything that depended on it
	// is deleted or updated away from it.
	var removed []*Observed
	for i := range observed {
		if _, ok := want[observed[i].Name]; !ok {
			removed = append(removed, &observed[i])
		}
	}
	removedOrder := reverseTopo(removed, oldDependents)
	for _, o := range removedOrder {
		s := Step{ID: o.Name, Name: o.Name, Type: o.Type, Action: Delete,
			Reason: "not in the template", Retain: o.DeletionPolicy == RetainPolicy,
			After: oldDependents[o.Name]}
		if o.Action == model.ActionDelete && o.Status == model.StateComplete {
			s.Reason = "deleted already"
		}
		p.Steps = append(p.Steps, s)
	}

	// Cleanup of replaced physical resources, after the replacement and
	// after every old dependent moved on, in reverse dependency order.
	replacedSet := map[string]bool{}
	for _, s := range p.Steps {
		o := have[s.Name]
		if s.Action == Replace || (o != nil && o.Replaced > 0 && want[s.Name] != nil) {
			replacedSet[s.Name] = true
		}
	}
	if len(replacedSet) > 0 {
		var names []string
		for _, s := range p.Steps {
			if replacedSet[s.Name] {
				names = append(names, s.Name)
			}
		}
		// Later in dependency order first.
		slices.Reverse(names)
		for _, name := range names {
			after := []string{name}
			for _, dep := range oldDependents[name] {
				after = append(after, dep)
				if replacedSet[dep] {
					after = append(after, CleanupID(dep))
				}
			}
			policy := ""
			if o := have[name]; o != nil {
				policy = o.DeletionPolicy
			}
			p.Steps = append(p.Steps, Step{ID: CleanupID(name), Name: name, Type: want[name].Type,
				Action: Cleanup, Reason: "superseded by its replacement", After: after,
				Retain: policy == RetainPolicy})
		}
	}
	return p, nil
}

// Decide chooses the action for a resource that exists in the store and in
// the template, and returns why and which properties changed. It is what
// Build uses per resource, and what the engine uses again for a step marked
// Recheck once that step's dependencies are done.
func Decide(d *Desired, o *Observed) (Action, string, []string) {
	if o == nil {
		return Create, "not created yet", nil
	}
	if o.Type != d.Type {
		if !o.HasPhysical {
			return Create, "type changed from " + o.Type, nil
		}
		return Replace, "type changed from " + o.Type, nil
	}
	switch {
	case o.Action == model.ActionInit,
		o.Action == model.ActionCreate && o.Status == model.StateInProgress:
		return Create, "create was interrupted", nil
	case o.Status == model.StateFailed && o.Action != model.ActionDelete,
		o.Action == model.ActionDelete:
		if !o.HasPhysical {
			return Create, "previous " + strings.ToLower(string(o.Action)) + " failed", nil
		}
		return Replace, "previous " + strings.ToLower(string(o.Action)) + " failed", nil
	}
	if d.NeverUpdate {
		return None, "", nil
	}
	changed := changedProps(d, o)
	interrupted := o.Status == model.StateInProgress
	if len(changed) == 0 {
		switch {
		case interrupted:
			return Update, "update was interrupted", nil
		case o.Refresh:
			return Update, "refresh requested", nil
		}
		return None, "", nil
	}
	if d.ForceReplace {
		return Replace, "properties changed: " + strings.Join(changed, ", "), changed
	}
	for _, c := range changed {
		if !slices.Contains(d.UpdateAllowed, c) {
			return Replace, "property " + c + " cannot be updated in place", changed
		}
	}
	return Update, "properties changed: " + strings.Join(changed, ", "), changed
}

// changedProps lists, sorted, the properties whose digests differ.
func changedProps(d *Desired, o *Observed) []string {
	if d.Hash == "" || d.Hash == o.Hash {
		return nil
	}
	var out []string
	for k, v := range d.Props {
		if o.Props[k] != v {
			out = append(out, k)
		}
	}
	for k := range o.Props {
		if _, ok := d.Props[k]; !ok {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		// The hashes differ but no single property does: the digest
		// covers more than the properties (metadata, for instance).
		out = append(out, "*")
	}
	sort.Strings(out)
	return out
}

// topoOrder orders the desired resources so that each follows its
// dependencies, keeping template order among independent ones.
func topoOrder(desired []Desired, want map[string]*Desired) ([]*Desired, error) {
	index := make(map[string]int, len(desired))
	for i, d := range desired {
		index[d.Name] = i
	}
	indeg := make([]int, len(desired))
	dependents := make([][]int, len(desired))
	for i, d := range desired {
		seen := map[string]bool{}
		for _, dep := range d.DependsOn {
			j, ok := index[dep]
			if !ok || seen[dep] {
				continue
			}
			seen[dep] = true
			indeg[i]++
			dependents[j] = append(dependents[j], i)
		}
	}
	// A min-heap by template index would do; a sorted ready list is enough
	// and keeps the order stable.
	var ready []int
	for i := range desired {
		if indeg[i] == 0 {
			ready = append(ready, i)
		}
	}
	out := make([]*Desired, 0, len(desired))
	for len(ready) > 0 {
		i := ready[0]
		ready = ready[1:]
		out = append(out, want[desired[i].Name])
		var next []int
		for _, j := range dependents[i] {
			indeg[j]--
			if indeg[j] == 0 {
				next = append(next, j)
			}
		}
		if len(next) > 0 {
			ready = append(ready, next...)
			sort.Ints(ready)
		}
	}
	if len(out) != len(desired) {
		var stuck []string
		for i, d := range desired {
			if indeg[i] > 0 {
				stuck = append(stuck, d.Name)
			}
		}
		return nil, model.Invalidf("circular dependency between resources: %s", strings.Join(stuck, ", "))
	}
	return out, nil
}

// reverseTopo orders removed resources so that each comes after every
// removed resource that depended on it, by name among independent ones.
// Stored graphs are acyclic; should one not be, what remains is appended by
// name.
func reverseTopo(removed []*Observed, dependents map[string][]string) []*Observed {
	sort.Slice(removed, func(i, j int) bool { return removed[i].Name < removed[j].Name })
	index := map[string]int{}
	for i, o := range removed {
		index[o.Name] = i
	}
	remaining := make([]int, len(removed))
	for i, o := range removed {
		for _, d := range dependents[o.Name] {
			if _, ok := index[d]; ok {
				remaining[i]++
			}
		}
	}
	var ready []int
	for i := range removed {
		if remaining[i] == 0 {
			ready = append(ready, i)
		}
	}
	out := make([]*Observed, 0, len(removed))
	done := make([]bool, len(removed))
	for len(out) < len(removed) {
		if len(ready) == 0 {
			for i := range removed {
				if !done[i] {
					ready = append(ready, i)
					break
				}
			}
		}
		i := ready[0]
		ready = ready[1:]
		if done[i] {
			continue
		}
		done[i] = true
		out = append(out, removed[i])
		var next []int
		for _, dep := range removed[i].DependsOn {
			if j, ok := index[dep]; ok && !done[j] {
				remaining[j]--
				if remaining[j] == 0 {
					next = append(next, j)
				}
			}
		}
		if len(next) > 0 {
			ready = append(ready, next...)
			sort.Ints(ready)
		}
	}
	return out
}
