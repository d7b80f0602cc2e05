package heat

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/hot"
	"github.com/slipway/slipway/internal/orchestration/resources"
)

// nestedVersion is the template version of the nested stacks groups build.
const nestedVersion = "2016-10-14"

// member is one member of a group's nested stack.
type member struct {
	Name       string
	Type       string
	Properties any
	Metadata   any
}

// memberTemplate renders the nested template of a group's members.
func memberTemplate(members []member) string {
	res := make(map[string]any, len(members))
	for _, m := range members {
		def := map[string]any{"type": m.Type}
		if m.Properties != nil {
			def["properties"] = m.Properties
		}
		if m.Metadata != nil {
			def["metadata"] = m.Metadata
		}
		res[m.Name] = def
	}
	return mustJSON(map[string]any{"heat_template_version": nestedVersion, "resources": res})
}

// groupAttributes gathers the attributes of a group from its members, in
// member order: refs, refs_map, and each member's attributes (under
// "members"), which ResolveAttribute serves.
func groupAttributes(ctx context.Context, r *resources.Resource, order []string, removed []string) (map[string]any, error) {
	recs, err := r.Host.NestedResources(ctx, r.NestedID)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*model.StackResource, len(recs))
	for _, rec := range recs {
		byName[rec.Name] = rec
	}
	refs := make([]any, 0, len(order))
	refsMap := make(map[string]any, len(order))
	members := make(map[string]any, len(order))
	names := make([]any, 0, len(order))
	for _, name := range order {
		rec := byName[name]
		if rec == nil {
			continue
		}
		ref := rec.PhysicalID
		if s, ok := rec.Attributes["OS::stack_id"].(string); ok && s != "" {
			ref = s
		}
		refs = append(refs, ref)
		refsMap[name] = ref
		attrs := rec.Attributes
		if attrs == nil {
			attrs = map[string]any{}
		}
		members[name] = attrs
		names = append(names, name)
	}
	rm := make([]any, 0, len(removed))
	for _, n := range removed {
		rm = append(rm, n)
	}
	return map[string]any{
		"refs": refs, "refs_map": refsMap, "removed_rsrc_list": rm,
		"members": members, "member_names": names, "current_size": len(refs),
	}, nil
}

// resolveGroupAttribute serves get_attr on a group: refs, refs_map,
// removed_rsrc_list, current_size, "attributes" (a map of one attribute
// per member), "resource.N[.attr]" (one member), and any other name as the
// list of that attribute over the members.
func resolveGroupAttribute(attrs map[string]any, path []any) (any, error) {
	name, _ := path[0].(string)
	members, _ := attrs["members"].(map[string]any)
	names, _ := attrs["member_names"].([]any)
	switch {
	case name == "refs" || name == "refs_map" || name == "removed_rsrc_list" || name == "current_size":
		return hot.SelectPath(attrs[name], path[1:]), nil
	case name == "attributes":
		if len(path) < 2 {
			return nil, fmt.Errorf("get_attr attributes needs an attribute name")
		}
		out := make(map[string]any, len(members))
		for n, m := range members {
			ma, _ := m.(map[string]any)
			v, err := resources.LookupPath(ma, path[1:])
			if err != nil {
				return nil, err
			}
			out[n] = v
		}
		return out, nil
	case strings.HasPrefix(name, "resource."):
		rest := strings.TrimPrefix(name, "resource.")
		idx, attr, hasAttr := strings.Cut(rest, ".")
		m, ok := members[idx].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Member '%s' not found in group resource.", idx)
		}
		sub := path[1:]
		if hasAttr {
			sub = append([]any{attr}, sub...)
		}
		if len(sub) == 0 {
			return m, nil
		}
		return resources.LookupPath(m, sub)
	}
	out := make([]any, 0, len(names))
	for _, n := range names {
		ns, _ := n.(string)
		ma, _ := members[ns].(map[string]any)
		v, err := resources.LookupPath(ma, path)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ResourceGroup is OS::Heat::ResourceGroup: count identical members built
// from resource_def, in a nested stack. Members are named "0", "1", …; the
// index_var in the definition is replaced by each member's name; members
// named by removal_policies are removed first and their names never used
// again.
type ResourceGroup struct{ nestedBase }

// Schema implements resources.Plugin.
func (ResourceGroup) Schema() *hot.Schema { return resourceGroupSchema() }

// ResolveAttribute implements resources.AttributeResolver.
func (ResourceGroup) ResolveAttribute(attrs map[string]any, path []any) (any, error) {
	return resolveGroupAttribute(attrs, path)
}

// members works out the member names of the group: the removed names grow by
// the removal policies, and count names follow in index order skipping
// removed ones. It returns the names and the removed list to store.
func (ResourceGroup) members(r *resources.Resource, old *resources.Resource) ([]string, []string) {
	var removed []string
	if old != nil {
		_ = json.Unmarshal([]byte(old.Data["removed"]), &removed)
	} else if s := r.Data["removed"]; s != "" {
		_ = json.Unmarshal([]byte(s), &removed)
	}
	if r.Prop("removal_policies_mode") == "update" {
		removed = nil
	}
	refs := map[string]string{}
	if old != nil {
		if m, ok := old.Attributes["refs_map"].(map[string]any); ok {
			for name, ref := range m {
				refs[fmt.Sprint(ref)] = name
			}
		}
	}
	if pols, ok := r.Properties["removal_policies"].([]any); ok {
		for _, p := range pols {
			m, _ := p.(map[string]any)
			list, _ := m["resource_list"].([]any)
			for _, e := range list {
				s := fmt.Sprint(e)
				if name, ok := refs[s]; ok {
					s = name
				}
				if !slices.Contains(removed, s) {
					removed = append(removed, s)
				}
			}
		}
	}
	count := integer(r.Properties["count"], 1)
	var names []string
	for i := 0; len(names) < count; i++ {
		n := strconv.Itoa(i)
		if !slices.Contains(removed, n) {
			names = append(names, n)
		}
	}
	return names, removed
}

func (g ResourceGroup) apply(ctx context.Context, r, old *resources.Resource) error {
	names, removed := g.members(r, old)
	def, _ := r.Properties["resource_def"].(map[string]any)
	typ, _ := def["type"].(string)
	if typ == "" {
		return model.Invalidf("resource_def.type is required")
	}
	indexVar := r.Prop("index_var")
	if indexVar == "" {
		indexVar = "%index%"
	}
	ms := make([]member, 0, len(names))
	for _, n := range names {
		ms = append(ms, member{Name: n, Type: typ,
			Properties: substitute(def["properties"], indexVar, n),
			Metadata:   substitute(def["metadata"], indexVar, n)})
	}
	res, err := r.Host.ApplyNested(ctx, r, resources.NestedStack{Template: memberTemplate(ms), Files: r.Stack.Files})
	if err != nil {
		return err
	}
	r.NestedID = res.StackID
	r.SetData("members", mustJSON(names))
	r.SetData("removed", mustJSON(removed))
	return nil
}

// substitute replaces the index variable in every string of v.
func substitute(v any, indexVar, index string) any {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(x, indexVar, index)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = substitute(e, indexVar, index)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = substitute(e, indexVar, index)
		}
		return out
	}
	return v
}

// Create implements resources.Plugin.
func (g ResourceGroup) Create(ctx context.Context, r *resources.Resource) (string, error) {
	if err := g.apply(ctx, r, nil); err != nil {
		return "", err
	}
	return r.NestedID, nil
}

// Update implements resources.Plugin.
func (g ResourceGroup) Update(ctx context.Context, r, old *resources.Resource) error {
	return g.apply(ctx, r, old)
}

// Check implements resources.Plugin: converging the nested stack again
// resumes it.
func (g ResourceGroup) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	err := g.apply(ctx, r, nil)
	return err == nil, err
}

// Attributes implements resources.Plugin.
func (ResourceGroup) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	var names, removed []string
	_ = json.Unmarshal([]byte(r.Data["members"]), &names)
	_ = json.Unmarshal([]byte(r.Data["removed"]), &removed)
	sort.SliceStable(names, func(i, j int) bool { return memberLess(names[i], names[j]) })
	return groupAttributes(ctx, r, names, removed)
}

// memberLess orders member names numerically where they are numbers.
func memberLess(a, b string) bool {
	ai, aerr := strconv.Atoi(a)
	bi, berr := strconv.Atoi(b)
	if aerr == nil && berr == nil {
		return ai < bi
	}
	return a < b
}
