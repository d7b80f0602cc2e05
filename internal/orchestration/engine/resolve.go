package engine

import (
	"errors"
	"fmt"
	"sync"

	"github.com/slipway/slipway/internal/orchestration/resources"
)

// errNotReady means an expression references a resource that has no
// physical resource yet; its value is known only once the resource is
// created.
var errNotReady = errors.New("referenced resource is not created yet")

// published is what other resources may read of a resource: its physical
// id and attributes.
type published struct {
	id    string
	attrs map[string]any
	// resolver answers get_attr paths for types that need more than a
	// lookup in the stored attributes.
	resolver resources.AttributeResolver
}

// view is the shared, concurrency-safe picture of a stack's resources that
// expressions are evaluated against while an operation runs.
type view struct {
	mu sync.RWMutex
	// known holds the names of the template's resources, enabled or not.
	known    map[string]bool
	disabled map[string]bool
	res      map[string]published
}

func newView() *view {
	return &view{known: map[string]bool{}, disabled: map[string]bool{}, res: map[string]published{}}
}

func (v *view) publish(name string, p published) {
	v.mu.Lock()
	v.res[name] = p
	v.mu.Unlock()
}

func (v *view) unpublish(name string) {
	v.mu.Lock()
	delete(v.res, name)
	v.mu.Unlock()
}

// ResourceID implements hot.Resolver: the physical id of a created
// resource. A resource the template disables by a condition resolves to
// nothing, as in Heat.
func (v *view) ResourceID(name string) (string, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.disabled[name] {
		return "", nil
	}
	p, ok := v.res[name]
	if !ok || p.id == "" {
		if !v.known[name] {
			return "", fmt.Errorf("the resource %s does not exist", name)
		}
		return "", fmt.Errorf("%s: %w", name, errNotReady)
	}
	return p.id, nil
}

// Attribute implements hot.Resolver: the attribute at path of a created
// resource.
func (v *view) Attribute(name string, path []any) (any, error) {
	v.mu.RLock()
	p, ok := v.res[name]
	disabled, known := v.disabled[name], v.known[name]
	v.mu.RUnlock()
	if disabled {
		return nil, nil
	}
	if !ok || p.id == "" {
		if !known {
			return nil, fmt.Errorf("the resource %s does not exist", name)
		}
		return nil, fmt.Errorf("%s: %w", name, errNotReady)
	}
	if len(path) == 0 {
		return p.attrs, nil
	}
	if p.resolver != nil {
		return p.resolver.ResolveAttribute(p.attrs, path)
	}
	return resources.LookupPath(p.attrs, path)
}
