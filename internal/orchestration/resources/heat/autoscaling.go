package heat

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/hot"
	"github.com/slipway/slipway/internal/orchestration/resources"
)

// scaleSignal is what a scaling policy sends its group.
type scaleSignal struct {
	Capacity int    `json:"capacity"`
	Reason   string `json:"reason,omitempty"`
}

// AutoScalingGroup is OS::Heat::AutoScalingGroup: between min_size and
// max_size identical members, in a nested stack, resized by its
// ScalingPolicies' signals. Scaling down removes the oldest members.
type AutoScalingGroup struct{ nestedBase }

// Schema implements resources.Plugin.
func (AutoScalingGroup) Schema() *hot.Schema { return autoScalingGroupSchema() }

// capacity works out the group's size: desired_capacity when it is new,
// else the last scaling signal not yet applied, else the current size,
// within min_size and max_size.
func (AutoScalingGroup) capacity(ctx context.Context, r, old *resources.Resource) (int, int, error) {
	lo, hi := integer(r.Properties["min_size"], 0), integer(r.Properties["max_size"], 0)
	if lo < 0 || hi < lo {
		return 0, 0, model.Invalidf("min_size %d and max_size %d do not make a range", lo, hi)
	}
	want := lo
	if cur, err := strconv.Atoi(r.Data["capacity"]); err == nil {
		want = cur
	}
	desired, hasDesired := r.Properties["desired_capacity"]
	oldDesired := any(nil)
	if old != nil {
		oldDesired = old.Properties["desired_capacity"]
	}
	if hasDesired && (old == nil || fmt.Sprint(desired) != fmt.Sprint(oldDesired)) {
		want = integer(desired, want)
	}
	seen, _ := strconv.Atoi(r.Data["scale_seen"])
	sigs := 0
	if old != nil || r.Data["capacity"] != "" {
		all, err := r.Host.Signals(ctx, r.Stack.ID, r.PhysicalID)
		if err != nil {
			return 0, 0, err
		}
		sigs = len(all)
		if len(all) > seen {
			var s scaleSignal
			if json.Unmarshal(all[len(all)-1].Body, &s) == nil {
				want = s.Capacity
			}
		}
	}
	return min(max(want, lo), hi), sigs, nil
}

func (g AutoScalingGroup) apply(ctx context.Context, r, old *resources.Resource) error {
	n, seen, err := g.capacity(ctx, r, old)
	if err != nil {
		return err
	}
	var names []string
	_ = json.Unmarshal([]byte(r.Data["members"]), &names)
	next, _ := strconv.Atoi(r.Data["next"])
	for len(names) < n {
		names = append(names, strconv.Itoa(next))
		next++
	}
	if len(names) > n {
		names = names[len(names)-n:]
	}
	def, _ := r.Properties["resource"].(map[string]any)
	typ, _ := def["type"].(string)
	ms := make([]member, 0, len(names))
	for _, name := range names {
		ms = append(ms, member{Name: name, Type: typ, Properties: def["properties"], Metadata: def["metadata"]})
	}
	res, err := r.Host.ApplyNested(ctx, r, resources.NestedStack{Template: memberTemplate(ms), Files: r.Stack.Files})
	if err != nil {
		return err
	}
	r.NestedID = res.StackID
	r.SetData("members", mustJSON(names))
	r.SetData("next", strconv.Itoa(next))
	r.SetData("capacity", strconv.Itoa(n))
	r.SetData("scale_seen", strconv.Itoa(seen))
	return nil
}

// Create implements resources.Plugin.
func (g AutoScalingGroup) Create(ctx context.Context, r *resources.Resource) (string, error) {
	if err := g.apply(ctx, r, nil); err != nil {
		return "", err
	}
	return r.NestedID, nil
}

// Update implements resources.Plugin.
func (g AutoScalingGroup) Update(ctx context.Context, r, old *resources.Resource) error {
	return g.apply(ctx, r, old)
}

// Check implements resources.Plugin.
func (g AutoScalingGroup) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	err := g.apply(ctx, r, nil)
	return err == nil, err
}

// Attributes implements resources.Plugin.
func (AutoScalingGroup) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	var names []string
	_ = json.Unmarshal([]byte(r.Data["members"]), &names)
	return groupAttributes(ctx, r, names, nil)
}

// ResolveAttribute implements resources.AttributeResolver: outputs and
// outputs_list name a member attribute.
func (AutoScalingGroup) ResolveAttribute(attrs map[string]any, path []any) (any, error) {
	name, _ := path[0].(string)
	switch name {
	case "outputs":
		return resolveGroupAttribute(attrs, append([]any{"attributes"}, path[1:]...))
	case "outputs_list":
		if len(path) < 2 {
			return nil, fmt.Errorf("get_attr outputs_list needs an attribute name")
		}
		return resolveGroupAttribute(attrs, path[1:])
	}
	return resolveGroupAttribute(attrs, path)
}

// ScalingPolicy is OS::Heat::ScalingPolicy: a signal to its alarm_url
// resizes its AutoScalingGroup by scaling_adjustment, unless the cooldown
// since its last adjustment has not passed.
type ScalingPolicy struct{}

// Schema implements resources.Plugin.
func (ScalingPolicy) Schema() *hot.Schema { return scalingPolicySchema() }

// Create implements resources.Plugin.
func (ScalingPolicy) Create(_ context.Context, r *resources.Resource) (string, error) {
	if err := ensureToken(r); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

// Update implements resources.Plugin.
func (ScalingPolicy) Update(context.Context, *resources.Resource, *resources.Resource) error {
	return nil
}

// Delete implements resources.Plugin.
func (ScalingPolicy) Delete(context.Context, *resources.Resource) error { return nil }

// Check implements resources.Plugin.
func (ScalingPolicy) Check(_ context.Context, r *resources.Resource) (bool, error) {
	return true, ensureToken(r)
}

// Attributes implements resources.Plugin.
func (ScalingPolicy) Attributes(_ context.Context, r *resources.Resource) (map[string]any, error) {
	u := r.Host.SignalURL(r)
	return map[string]any{"signal_url": u, "alarm_url": u + "?token=" + r.Data[resources.SignalTokenKey]}, nil
}

// HandleSignal implements resources.Signaler: it works out the group's new
// size and asks the engine to resize the group.
func (p ScalingPolicy) HandleSignal(ctx context.Context, r *resources.Resource, _ []byte) (json.RawMessage, error) {
	grp, err := r.Host.Lookup(ctx, r.Stack.ProjectID, r.Prop("auto_scaling_group_id"))
	if err != nil {
		return nil, err
	}
	cooldown := number(r.Properties["cooldown"])
	if cooldown == 0 {
		cooldown = number(grp.Properties["cooldown"])
	}
	prior, err := r.Host.Signals(ctx, r.Stack.ID, r.PhysicalID)
	if err != nil {
		return nil, err
	}
	if len(prior) > 0 && cooldown > 0 &&
		r.Host.Now().Sub(prior[len(prior)-1].Time) < time.Duration(cooldown*float64(time.Second)) {
		return nil, model.Conflictf("Scaling policy %s is in its cooldown period.", r.Name)
	}
	current := integer(grp.Attributes["current_size"], 0)
	if c, err := strconv.Atoi(grp.Data["capacity"]); err == nil {
		current = c
	}
	lo, hi := integer(grp.Properties["min_size"], 0), integer(grp.Properties["max_size"], 0)
	next := adjust(current, r.Prop("adjustment_type"), number(r.Properties["scaling_adjustment"]),
		integer(r.Properties["min_adjustment_step"], 0))
	next = min(max(next, lo), hi)
	out := scaleSignal{Capacity: next, Reason: fmt.Sprintf("%s %v: %d -> %d",
		r.Prop("adjustment_type"), r.Properties["scaling_adjustment"], current, next)}
	if next != current {
		if err := r.Host.Refresh(ctx, grp.StackID, grp.Name, json.RawMessage(mustJSON(out))); err != nil {
			return nil, err
		}
	}
	return json.RawMessage(mustJSON(out)), nil
}

// adjust applies a scaling adjustment to a size, as Heat does.
func adjust(current int, kind string, adj float64, minStep int) int {
	switch kind {
	case "exact_capacity":
		return int(adj)
	case "percent_change_in_capacity":
		delta := float64(current) * adj / 100
		switch {
		case delta > 0 && delta < 1:
			delta = 1
		case delta < 0 && delta > -1:
			delta = -1
		}
		d := int(math.Trunc(delta))
		if minStep > 0 && abs(d) < minStep {
			if d < 0 {
				d = -minStep
			} else {
				d = minStep
			}
		}
		return current + d
	}
	return current + int(adj)
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
