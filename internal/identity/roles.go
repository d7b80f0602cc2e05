package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// builtinRole reports whether name is one of the roles policy relies on,
// which may be neither renamed nor deleted.
func builtinRole(name string) bool {
	switch name {
	case model.RoleAdmin, model.RoleMember, model.RoleReader:
		return true
	}
	return false
}

// CreateRole stores a new role, filling in its id when empty. A duplicate
// name gives model.ErrConflict.
func (s *Service) CreateRole(ctx context.Context, r *model.Role) error {
	return s.createNamed(ctx, "role", maxNameLen, r, nil)
}

// GetRole returns the role with the given id.
func (s *Service) GetRole(ctx context.Context, id string) (*model.Role, error) {
	return s.roleByID(ctx, s.st, id)
}

func (s *Service) roleByID(ctx context.Context, r store.Reader, id string) (*model.Role, error) {
	if id == "" {
		return nil, model.NotFoundf("Could not find role: no id given.")
	}
	role, err := store.Get[model.Role](ctx, r, id)
	if err != nil {
		return nil, notFound(err, "Could not find role %s.", id)
	}
	return role, nil
}

// ListRoles returns every role, or those named name when it is not empty.
func (s *Service) ListRoles(ctx context.Context, name string) ([]*model.Role, error) {
	rs, err := store.List[model.Role](ctx, s.st, store.Query{Name: name})
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	return rs, nil
}

// roleIndex maps role ids to names and names to ids.
type roleIndex struct {
	byID   map[string]string
	byName map[string]string
}

func (s *Service) roleIndex(ctx context.Context, r store.Reader) (*roleIndex, error) {
	rs, err := store.List[model.Role](ctx, r, store.Query{})
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	idx := &roleIndex{byID: make(map[string]string, len(rs)), byName: make(map[string]string, len(rs))}
	for _, role := range rs {
		idx.byID[role.UUID] = role.Name
		idx.byName[role.Name] = role.UUID
	}
	return idx, nil
}

// RoleNames returns a map from role id to role name, for rendering
// assignments and application credentials.
func (s *Service) RoleNames(ctx context.Context) (map[string]string, error) {
	idx, err := s.roleIndex(ctx, s.st)
	if err != nil {
		return nil, err
	}
	return idx.byID, nil
}

// UpdateRole renames the role with the given id. The built-in roles admin,
// member and reader cannot be renamed.
func (s *Service) UpdateRole(ctx context.Context, id string, name *string) (*model.Role, error) {
	var r *model.Role
	err := s.st.InTx(ctx, func(tx store.Writer) error {
		var err error
		if r, err = s.roleByID(ctx, tx, id); err != nil {
			return err
		}
		if name == nil || *name == r.Name {
			return nil
		}
		if builtinRole(r.Name) {
			return model.Forbiddenf("The built-in role %s cannot be renamed.", r.Name)
		}
		if err := rename(ctx, tx, model.KindRole, "role", maxNameLen, r.UUID, &r.Name, name); err != nil {
			return err
		}
		return tx.Update(ctx, r)
	})
	if err != nil {
		return nil, fmt.Errorf("update role %s: %w", id, err)
	}
	return r, nil
}

// DeleteRole deletes a role and its assignments, and revokes the tokens of
// everyone who held it. The built-in roles cannot be deleted.
func (s *Service) DeleteRole(ctx context.Context, id string) error {
	err := s.st.InTx(ctx, func(tx store.Writer) error {
		r, err := s.roleByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if builtinRole(r.Name) {
			return model.Forbiddenf("The built-in role %s cannot be deleted.", r.Name)
		}
		as, err := store.List[model.RoleAssignment](ctx, tx, store.Query{Ref: id})
		if err != nil {
			return fmt.Errorf("list assignments: %w", err)
		}
		for _, a := range as {
			if err := revokeTokens(ctx, tx, store.Query{Parent: a.UserID, ProjectID: a.ProjectID}); err != nil {
				return err
			}
		}
		if _, err := tx.DeleteWhere(ctx, model.KindRoleAssignment, store.Query{Ref: id}); err != nil {
			return fmt.Errorf("delete assignments: %w", err)
		}
		return tx.Delete(ctx, model.KindRole, id)
	})
	s.cache.clear()
	if err != nil {
		return fmt.Errorf("delete role %s: %w", id, err)
	}
	return nil
}

// assignmentID is the id of the assignment of role to user on project:
// the same every time, so that granting twice stores one assignment.
func assignmentID(projectID, userID, roleID string) string {
	sum := sha256.Sum256([]byte(projectID + "\x00" + userID + "\x00" + roleID))
	return hex.EncodeToString(sum[:16])
}

// Grant gives user the role on project. Granting an existing assignment
// succeeds and changes nothing.
func (s *Service) Grant(ctx context.Context, projectID, userID, roleID string) error {
	err := s.st.InTx(ctx, func(tx store.Writer) error {
		if _, err := s.projectByID(ctx, tx, projectID); err != nil {
			return err
		}
		if _, err := s.userByID(ctx, tx, userID); err != nil {
			return err
		}
		if _, err := s.roleByID(ctx, tx, roleID); err != nil {
			return err
		}
		a := &model.RoleAssignment{UserID: userID, ProjectID: projectID, RoleID: roleID}
		a.UUID = assignmentID(projectID, userID, roleID)
		if err := tx.Create(ctx, a); err != nil && !errors.Is(err, store.ErrExists) {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("grant role %s to user %s on project %s: %w", roleID, userID, projectID, err)
	}
	return nil
}

// CheckGrant returns nil if user holds the role on project directly, and
// an error wrapping model.ErrNotFound if not.
func (s *Service) CheckGrant(ctx context.Context, projectID, userID, roleID string) error {
	var a model.RoleAssignment
	if err := s.st.Get(ctx, assignmentID(projectID, userID, roleID), &a); err != nil {
		return notFound(err, "User %s does not have role %s on project %s.", userID, roleID, projectID)
	}
	return nil
}

// Revoke takes the role on project away from user, and revokes the user's
// tokens scoped to project.
func (s *Service) Revoke(ctx context.Context, projectID, userID, roleID string) error {
	err := s.st.InTx(ctx, func(tx store.Writer) error {
		if err := tx.Delete(ctx, model.KindRoleAssignment, assignmentID(projectID, userID, roleID)); err != nil {
			return notFound(err, "User %s does not have role %s on project %s.", userID, roleID, projectID)
		}
		return revokeTokens(ctx, tx, store.Query{Parent: userID, ProjectID: projectID})
	})
	s.cache.clear()
	if err != nil {
		return fmt.Errorf("revoke role %s from user %s on project %s: %w", roleID, userID, projectID, err)
	}
	return nil
}

// AssignmentFilter selects role assignments; empty fields do not filter.
type AssignmentFilter struct {
	UserID    string
	ProjectID string
	RoleID    string
}

// ListAssignments returns the role assignments that match f.
func (s *Service) ListAssignments(ctx context.Context, f AssignmentFilter) ([]*model.RoleAssignment, error) {
	as, err := store.List[model.RoleAssignment](ctx, s.st, store.Query{
		Parent: f.UserID, ProjectID: f.ProjectID, Ref: f.RoleID,
	})
	if err != nil {
		return nil, fmt.Errorf("list role assignments: %w", err)
	}
	return as, nil
}

// UserRoles returns the roles assigned directly to user on project.
func (s *Service) UserRoles(ctx context.Context, projectID, userID string) ([]*model.Role, error) {
	return s.userRoles(ctx, s.st, projectID, userID)
}

func (s *Service) userRoles(ctx context.Context, r store.Reader, projectID, userID string) ([]*model.Role, error) {
	as, err := store.List[model.RoleAssignment](ctx, r, store.Query{Parent: userID, ProjectID: projectID})
	if err != nil {
		return nil, fmt.Errorf("list roles of user %s on project %s: %w", userID, projectID, err)
	}
	out := make([]*model.Role, 0, len(as))
	for _, a := range as {
		role, err := store.Get[model.Role](ctx, r, a.RoleID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("get role %s: %w", a.RoleID, err)
		}
		out = append(out, role)
	}
	return out, nil
}

// UserProjects returns the projects on which user holds at least one role.
func (s *Service) UserProjects(ctx context.Context, userID string) ([]*model.Project, error) {
	as, err := store.List[model.RoleAssignment](ctx, s.st, store.Query{Parent: userID})
	if err != nil {
		return nil, fmt.Errorf("list projects of user %s: %w", userID, err)
	}
	seen := make(map[string]bool)
	var out []*model.Project
	for _, a := range as {
		if seen[a.ProjectID] {
			continue
		}
		seen[a.ProjectID] = true
		p, err := store.Get[model.Project](ctx, s.st, a.ProjectID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("get project %s: %w", a.ProjectID, err)
		}
		out = append(out, p)
	}
	return out, nil
}
