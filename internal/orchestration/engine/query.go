package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// Find returns the live stack of a project with the given name or id,
// as the Heat API's /stacks/{stack_identity} does.
func (s *Service) Find(ctx context.Context, projectID, nameOrID string) (*model.Stack, error) {
	st, err := store.Get[model.Stack](ctx, s.st, nameOrID)
	switch {
	case err == nil && st.ProjectID == projectID:
		return st, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("load stack %s: %w", nameOrID, err)
	}
	same, err := store.List[model.Stack](ctx, s.st, store.Query{ProjectID: projectID, Name: nameOrID})
	if err != nil {
		return nil, fmt.Errorf("look up stack %s: %w", nameOrID, err)
	}
	for i := len(same) - 1; i >= 0; i-- {
		if !same[i].Deleted() {
			return same[i], nil
		}
	}
	return nil, model.NotFoundf("The Stack (%s) could not be found.", nameOrID)
}

// NestedResource is a resource listed with its depth below the stack
// asked for: 0 for the stack's own resources.
type NestedResource struct {
	*model.StackResource
	Depth int
	// StackName is the name of the stack the resource belongs to.
	StackName string
	// ParentResource is, for a nested stack's resource, the name of the
	// resource in the parent stack that the nested stack implements.
	ParentResource string
}

// ResourceTree lists a stack's resources and, down to depth levels, those
// of its nested stacks, still being created ones included, as `openstack
// stack resource list --nested-depth` shows them.
func (s *Service) ResourceTree(ctx context.Context, stackID string, depth int) ([]NestedResource, error) {
	st, err := s.Get(ctx, stackID)
	if err != nil {
		return nil, err
	}
	var out []NestedResource
	var walk func(st *model.Stack, level int) error
	walk = func(st *model.Stack, level int) error {
		rs, err := s.Resources(ctx, st.UUID)
		if err != nil {
			return err
		}
		for _, r := range rs {
			nr := NestedResource{StackResource: r, Depth: level, StackName: st.Name}
			if level > 0 {
				nr.ParentResource = st.ParentResource
			}
			out = append(out, nr)
			nested := r.NestedID
			if nested == "" && r.Reserved && r.Status == model.StateInProgress {
				// Being created: a nested stack it owns is recorded on the
				// resource when it is complete, but exists under the id
				// reserved for it from the start (see host.ApplyNested).
				nested = r.PhysicalID
			}
			if nested == "" || level >= depth {
				continue
			}
			child, err := store.Get[model.Stack](ctx, s.st, nested)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("load nested stack %s: %w", nested, err)
			}
			if err := walk(child, level+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(st, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// Events lists a stack's events oldest first; resourceName, when set,
// keeps only that resource's. Marker and limit page as the store does.
func (s *Service) Events(ctx context.Context, stackID, resourceName, marker string, limit int) ([]*model.StackEvent, error) {
	evs, err := store.List[model.StackEvent](ctx, s.st, store.Query{Parent: stackID, Name: resourceName,
		Marker: marker, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("list events of stack %s: %w", stackID, err)
	}
	return evs, nil
}
