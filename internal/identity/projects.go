package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// Longest names Keystone accepts.
const (
	maxProjectNameLen = 64
	maxNameLen        = 255
)

// validName checks the name of a new or renamed object of kind what.
func validName(what, name string, maxLen int) error {
	if strings.TrimSpace(name) == "" {
		return model.Invalidf("The %s name must not be empty.", what)
	}
	if utf8.RuneCountInString(name) > maxLen {
		return model.Invalidf("The %s name must be at most %d characters long.", what, maxLen)
	}
	return nil
}

// nameTaken reports whether an object of kind other than the one whose
// UUID is self already has name.
func nameTaken(ctx context.Context, r store.Reader, kind model.Kind, name, self string) (bool, error) {
	recs, err := r.List(ctx, kind, store.Query{Name: name, Limit: 2})
	if err != nil {
		return false, fmt.Errorf("look up %s %q: %w", kind, name, err)
	}
	for _, rec := range recs {
		if rec.Meta.UUID != self {
			return true, nil
		}
	}
	return false, nil
}

// createError translates the store's ErrExists for a new object.
func createError(err error, what, id string) error {
	if errors.Is(err, store.ErrExists) {
		return model.Conflictf("A %s with id %s already exists.", what, id)
	}
	return err
}

// checkName checks a new name for the object self of kind: well formed and
// not taken.
func checkName(ctx context.Context, r store.Reader, kind model.Kind, what string, maxLen int, name, self string) error {
	if err := validName(what, name, maxLen); err != nil {
		return err
	}
	taken, err := nameTaken(ctx, r, kind, name, self)
	if err != nil {
		return err
	}
	if taken {
		return model.Conflictf("A %s named %q already exists.", what, name)
	}
	return nil
}

// rename sets *current to *name, if name is set and differs, after checking
// it with checkName.
func rename(ctx context.Context, r store.Reader, kind model.Kind, what string, maxLen int, self string, current, name *string) error {
	if name == nil || *name == *current {
		return nil
	}
	if err := checkName(ctx, r, kind, what, maxLen, *name, self); err != nil {
		return err
	}
	*current = *name
	return nil
}

// createNamed stores obj, whose name must be unique among its kind, in one
// transaction with check, which may be nil. It fills in obj's id when empty.
func (s *Service) createNamed(ctx context.Context, what string, maxLen int, obj model.Object, check func(tx store.Writer) error) error {
	meta, name := obj.GetMeta(), obj.Index().Name
	if err := validName(what, name, maxLen); err != nil {
		return err
	}
	if meta.UUID == "" {
		meta.UUID = newID()
	}
	err := s.st.InTx(ctx, func(tx store.Writer) error {
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		if err := checkName(ctx, tx, obj.Kind(), what, maxLen, name, meta.UUID); err != nil {
			return err
		}
		return createError(tx.Create(ctx, obj), what, meta.UUID)
	})
	if err != nil {
		return fmt.Errorf("create %s %s: %w", what, name, err)
	}
	return nil
}

// CreateProject stores a new project. It fills in p's id when empty; the
// caller decides Enabled. A duplicate name gives model.ErrConflict.
func (s *Service) CreateProject(ctx context.Context, p *model.Project) error {
	return s.createNamed(ctx, "project", maxProjectNameLen, p, nil)
}

// GetProject returns the project whose id, or else name, is idOrName. An
// unknown project gives an error wrapping model.ErrNotFound.
func (s *Service) GetProject(ctx context.Context, idOrName string) (*model.Project, error) {
	p, err := s.projectByID(ctx, s.st, idOrName)
	if err == nil || !errors.Is(err, model.ErrNotFound) {
		return p, err
	}
	ps, lerr := store.List[model.Project](ctx, s.st, store.Query{Name: idOrName, Limit: 1})
	if lerr != nil {
		return nil, fmt.Errorf("get project %s: %w", idOrName, lerr)
	}
	if len(ps) == 0 {
		return nil, err
	}
	return ps[0], nil
}

// ProjectByID returns the project with the given id.
func (s *Service) ProjectByID(ctx context.Context, id string) (*model.Project, error) {
	return s.projectByID(ctx, s.st, id)
}

func (s *Service) projectByID(ctx context.Context, r store.Reader, id string) (*model.Project, error) {
	if id == "" {
		return nil, model.NotFoundf("Could not find project: no id given.")
	}
	p, err := store.Get[model.Project](ctx, r, id)
	if err != nil {
		return nil, notFound(err, "Could not find project %s.", id)
	}
	return p, nil
}

// ListProjects returns every project, or those named name when it is not
// empty, oldest first.
func (s *Service) ListProjects(ctx context.Context, name string) ([]*model.Project, error) {
	ps, err := store.List[model.Project](ctx, s.st, store.Query{Name: name})
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	return ps, nil
}

// ProjectUpdate changes the non-nil fields of a project.
type ProjectUpdate struct {
	Name        *string
	Description *string
	Enabled     *bool
}

// UpdateProject applies u to the project with the given id. Disabling a
// project revokes every token scoped to it.
func (s *Service) UpdateProject(ctx context.Context, id string, u ProjectUpdate) (*model.Project, error) {
	var p *model.Project
	revoke := false
	err := s.st.InTx(ctx, func(tx store.Writer) error {
		var err error
		if p, err = s.projectByID(ctx, tx, id); err != nil {
			return err
		}
		if err := rename(ctx, tx, model.KindProject, "project", maxProjectNameLen, p.UUID, &p.Name, u.Name); err != nil {
			return err
		}
		if u.Description != nil {
			p.Description = *u.Description
		}
		if u.Enabled != nil {
			revoke = p.Enabled && !*u.Enabled
			p.Enabled = *u.Enabled
		}
		if err := tx.Update(ctx, p); err != nil {
			return err
		}
		if revoke {
			return revokeTokens(ctx, tx, store.Query{ProjectID: p.UUID})
		}
		return nil
	})
	if revoke {
		s.cache.clear()
	}
	if err != nil {
		return nil, fmt.Errorf("update project %s: %w", id, err)
	}
	return p, nil
}

// DeleteProject deletes a project with its role assignments, application
// credentials and tokens.
func (s *Service) DeleteProject(ctx context.Context, id string) error {
	return s.deleteWithDependents(ctx, model.KindProject, id, store.Query{ProjectID: id})
}

// deleteWithDependents deletes the project or user id of kind, and in the
// same transaction the role assignments, application credentials and
// tokens that dependents selects.
func (s *Service) deleteWithDependents(ctx context.Context, kind model.Kind, id string, dependents store.Query) error {
	err := s.st.InTx(ctx, func(tx store.Writer) error {
		if err := tx.Delete(ctx, kind, id); err != nil {
			return notFound(err, "Could not find %s %s.", kind, id)
		}
		for _, k := range []model.Kind{model.KindRoleAssignment, model.KindApplicationCredential} {
			if _, err := tx.DeleteWhere(ctx, k, dependents); err != nil {
				return fmt.Errorf("delete %s: %w", k, err)
			}
		}
		return revokeTokens(ctx, tx, dependents)
	})
	s.cache.clear()
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", kind, id, err)
	}
	s.log.Info("deleted "+string(kind), string(kind), id)
	return nil
}
