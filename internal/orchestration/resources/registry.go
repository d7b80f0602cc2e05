package resources

import (
	"context"
	"fmt"
	"slices"

	"github.com/slipway/slipway/internal/orchestration/hot"
)

// Registry maps resource type names to the plugins that implement them. It
// is built explicitly (in cmd/ or in a test): the engine's own OS::Heat::*
// types, the schemas of the OpenStack types, and the provider's
// implementations of those. Build it before use; it is not safe to change
// while the engine runs.
type Registry struct {
	provider string
	plugins  map[string]Plugin
	schemas  map[string]*hot.Schema
	template func(file string) Plugin
}

// NewRegistry returns an empty registry. provider names the infrastructure
// provider whose implementations it will hold, for error messages.
func NewRegistry(provider string) *Registry {
	return &Registry{provider: provider, plugins: map[string]Plugin{}, schemas: map[string]*hot.Schema{}}
}

// Register adds the implementation of a type. Registering a type twice is
// an error.
func (r *Registry) Register(typeName string, p Plugin) error {
	if _, dup := r.plugins[typeName]; dup {
		return fmt.Errorf("resource type %s is registered twice", typeName)
	}
	r.plugins[typeName] = p
	return nil
}

// Declare adds the schema of a type that may have no implementation yet:
// templates using it validate, and creating it fails with a clear message
// until a provider registers it.
func (r *Registry) Declare(typeName string, s *hot.Schema) {
	r.schemas[typeName] = s
}

// SetTemplatePlugin sets what implements template resources: a resource
// whose type is a template file. factory returns the plugin for one file.
func (r *Registry) SetTemplatePlugin(factory func(file string) Plugin) { r.template = factory }

// Lookup returns the plugin for a type: its implementation, a stand-in that
// fails at create for a declared type with no implementation, or the
// template plugin for a template file.
func (r *Registry) Lookup(typeName string) (Plugin, bool) {
	if p, ok := r.plugins[typeName]; ok {
		return p, true
	}
	if s, ok := r.schemas[typeName]; ok {
		return &unimplemented{typeName: typeName, provider: r.provider, schema: s}, true
	}
	if hot.IsTemplateType(typeName) && r.template != nil {
		return r.template(typeName), true
	}
	return nil, false
}

var _ hot.TypeChecker = (*Registry)(nil)

// Known implements hot.TypeChecker: the type is implemented or declared.
func (r *Registry) Known(typeName string) bool {
	_, impl := r.plugins[typeName]
	_, decl := r.schemas[typeName]
	return impl || decl
}

// Schema implements hot.TypeChecker: the schema of a type (not of a
// template file), nil when unknown or open.
func (r *Registry) Schema(typeName string) *hot.Schema {
	if p, ok := r.plugins[typeName]; ok {
		return p.Schema()
	}
	return r.schemas[typeName]
}

// Types lists every type the registry knows, sorted.
func (r *Registry) Types() []string {
	var out []string
	for t := range r.plugins {
		out = append(out, t)
	}
	for t := range r.schemas {
		if _, ok := r.plugins[t]; !ok {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// Implemented reports whether a type has an implementation, not just a
// schema.
func (r *Registry) Implemented(typeName string) bool {
	_, ok := r.plugins[typeName]
	return ok
}

// unimplemented stands in for a type that has a schema but no
// implementation: validation passes, create fails.
type unimplemented struct {
	typeName string
	provider string
	schema   *hot.Schema
}

func (u *unimplemented) err() error {
	return fmt.Errorf("%s is not implemented by provider %q yet: %w", u.typeName, u.provider, ErrNotImplemented)
}

// Schema implements Plugin.
func (u *unimplemented) Schema() *hot.Schema { return u.schema }

// Create implements Plugin; it always fails.
func (u *unimplemented) Create(context.Context, *Resource) (string, error) { return "", u.err() }

// Update implements Plugin; it always fails.
func (u *unimplemented) Update(context.Context, *Resource, *Resource) error { return u.err() }

// Delete implements Plugin: nothing was ever created, so nothing is left.
func (u *unimplemented) Delete(context.Context, *Resource) error { return nil }

// Check implements Plugin: nothing exists.
func (u *unimplemented) Check(context.Context, *Resource) (bool, error) { return false, nil }

// Attributes implements Plugin.
func (u *unimplemented) Attributes(context.Context, *Resource) (map[string]any, error) {
	return nil, u.err()
}
