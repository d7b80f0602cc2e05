package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/slipway/slipway/internal/model"
)

// The names Bootstrap gives the first project and user.
const (
	AdminProjectName = "admin"
	AdminUserName    = "admin"
)

// bootstrapPasswordLen is the length of a generated admin password.
const bootstrapPasswordLen = 32

// BootstrapOptions configures Bootstrap.
type BootstrapOptions struct {
	// AdminPassword is the admin user's password; empty means generate one.
	AdminPassword string
}

// BootstrapResult tells what Bootstrap did.
type BootstrapResult struct {
	// Created is false when the admin user already existed and nothing was
	// done.
	Created bool
	// Password is the admin password, set only when Created.
	Password string
}

// Bootstrap prepares an empty identity store: the roles admin, member and
// reader, the project admin, and the user admin holding the admin role on
// it. It is idempotent: when the admin user exists it changes nothing, and
// in particular never its password.
func (s *Service) Bootstrap(ctx context.Context, opts BootstrapOptions) (BootstrapResult, error) {
	if _, err := s.userByName(ctx, AdminUserName); err == nil {
		return BootstrapResult{}, nil
	} else if !errors.Is(err, model.ErrNotFound) {
		return BootstrapResult{}, fmt.Errorf("bootstrap: %w", err)
	}
	roleIDs := map[string]string{}
	for _, name := range []string{model.RoleAdmin, model.RoleMember, model.RoleReader} {
		r, err := s.ensureRole(ctx, name)
		if err != nil {
			return BootstrapResult{}, fmt.Errorf("bootstrap: %w", err)
		}
		roleIDs[name] = r.UUID
	}
	p, err := s.GetProject(ctx, AdminProjectName)
	if errors.Is(err, model.ErrNotFound) {
		p = &model.Project{Name: AdminProjectName, Description: "Bootstrap project for the cloud administrator", Enabled: true}
		err = s.CreateProject(ctx, p)
	}
	if err != nil {
		return BootstrapResult{}, fmt.Errorf("bootstrap: %w", err)
	}
	password := opts.AdminPassword
	if password == "" {
		password = randomString(bootstrapPasswordLen)
	}
	u := &model.User{Name: AdminUserName, DefaultProjectID: p.UUID, Enabled: true, Description: "Cloud administrator"}
	if err := s.CreateUser(ctx, u, password); err != nil {
		if errors.Is(err, model.ErrConflict) {
			// Another process bootstrapped at the same time.
			return BootstrapResult{}, nil
		}
		return BootstrapResult{}, fmt.Errorf("bootstrap: %w", err)
	}
	if err := s.Grant(ctx, p.UUID, u.UUID, roleIDs[model.RoleAdmin]); err != nil {
		return BootstrapResult{}, fmt.Errorf("bootstrap: %w", err)
	}
	s.log.Info("bootstrapped identity", "project", p.UUID, "user", u.UUID)
	return BootstrapResult{Created: true, Password: password}, nil
}

// ensureRole returns the role called name, creating it if needed.
func (s *Service) ensureRole(ctx context.Context, name string) (*model.Role, error) {
	rs, err := s.ListRoles(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(rs) > 0 {
		return rs[0], nil
	}
	r := &model.Role{Name: name}
	err = s.CreateRole(ctx, r)
	if errors.Is(err, model.ErrConflict) {
		// Another process created it meanwhile.
		if again, lerr := s.ListRoles(ctx, name); lerr == nil && len(again) > 0 {
			return again[0], nil
		}
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}
