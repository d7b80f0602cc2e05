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

// CreateProject stores a new project. It fills in p's id when empty; the
// caller decides Enabled. A duplicate name gives model.ErrConflict.
func (s *Service) CreateProject(ctx context.Context, p *model.Project) error {
	if err := validName("project", p.Name, maxProjectNameLen); err != nil {
		return err
	}
	if p.UUID == "" {
		p.UUID = newID()
	}
	err := s.st.InTx(ctx, func(tx store.Writer) error {
		taken, err := nameTaken(ctx, tx, model.KindProject, p.Name, p.UUID)
		if err != nil {
			return err
		}
		if taken {
			return model.Conflictf("A project named %q already exists.", p.Name)
		}
		return createError(tx.Create(ctx, p), "project", p.UUID)
	})
	if err != nil {
		return fmt.Errorf("create project %s: %w", p.Name, err)
	}
	return nil
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
		if u.Name != nil && *u.Name != p.Name {
			if err := validName("project", *u.Name, maxProjectNameLen); err != nil {
				return err
			}
			taken, err := nameTaken(ctx, tx, model.KindProject, *u.Name, p.UUID)
			if err != nil {
				return err
			}
			if taken {
				return model.Conflictf("A project named %q already exists.", *u.Name)
			}
			p.Name = *u.Name
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
	err := s.st.InTx(ctx, func(tx store.Writer) error {
		if err := tx.Delete(ctx, model.KindProject, id); err != nil {
			return notFound(err, "Could not find project %s.", id)
		}
		q := store.Query{ProjectID: id}
		for _, kind := range []model.Kind{model.KindRoleAssignment, model.KindApplicationCredential} {
			if _, err := tx.DeleteWhere(ctx, kind, q); err != nil {
				return fmt.Errorf("delete %s: %w", kind, err)
			}
		}
		return revokeTokens(ctx, tx, q)
	})
	s.cache.clear()
	if err != nil {
		return fmt.Errorf("delete project %s: %w", id, err)
	}
	s.log.Info("deleted project", "project", id)
	return nil
}
