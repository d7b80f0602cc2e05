package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// CreateUser stores a new user, with password hashed when it is not empty.
// It fills in u's id when empty and overwrites u.PasswordHash; the caller
// decides Enabled. A duplicate name gives model.ErrConflict.
func (s *Service) CreateUser(ctx context.Context, u *model.User, password string) error {
	u.PasswordHash = ""
	if password != "" {
		h, err := s.hashSecret(password)
		if err != nil {
			return err
		}
		u.PasswordHash = h
	}
	return s.createNamed(ctx, "user", maxNameLen, u, func(tx store.Writer) error {
		return s.checkDefaultProject(ctx, tx, u.DefaultProjectID)
	})
}

func (s *Service) checkDefaultProject(ctx context.Context, r store.Reader, id string) error {
	if id == "" {
		return nil
	}
	if _, err := s.projectByID(ctx, r, id); err != nil {
		if errors.Is(err, model.ErrNotFound) {
			return model.Invalidf("The default project %s does not exist.", id)
		}
		return err
	}
	return nil
}

// GetUser returns the user with the given id.
func (s *Service) GetUser(ctx context.Context, id string) (*model.User, error) {
	return s.userByID(ctx, s.st, id)
}

func (s *Service) userByID(ctx context.Context, r store.Reader, id string) (*model.User, error) {
	if id == "" {
		return nil, model.NotFoundf("Could not find user: no id given.")
	}
	u, err := store.Get[model.User](ctx, r, id)
	if err != nil {
		return nil, notFound(err, "Could not find user %s.", id)
	}
	return u, nil
}

// userByName returns the user called name.
func (s *Service) userByName(ctx context.Context, name string) (*model.User, error) {
	us, err := store.List[model.User](ctx, s.st, store.Query{Name: name, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("look up user %s: %w", name, err)
	}
	if len(us) == 0 {
		return nil, model.NotFoundf("Could not find user %s.", name)
	}
	return us[0], nil
}

// ListUsers returns every user, or those named name when it is not empty,
// oldest first.
func (s *Service) ListUsers(ctx context.Context, name string) ([]*model.User, error) {
	us, err := store.List[model.User](ctx, s.st, store.Query{Name: name})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

// UserUpdate changes the non-nil fields of a user.
type UserUpdate struct {
	Name             *string
	Password         *string
	DefaultProjectID *string
	Email            *string
	Description      *string
	Enabled          *bool
}

// UpdateUser applies u to the user with the given id. Changing the
// password or disabling the user revokes the user's tokens.
func (s *Service) UpdateUser(ctx context.Context, id string, upd UserUpdate) (*model.User, error) {
	var hash string
	if upd.Password != nil {
		h, err := s.hashSecret(*upd.Password)
		if err != nil {
			return nil, err
		}
		hash = h
	}
	var u *model.User
	revoke := false
	err := s.st.InTx(ctx, func(tx store.Writer) error {
		var err error
		if u, err = s.userByID(ctx, tx, id); err != nil {
			return err
		}
		if err := rename(ctx, tx, model.KindUser, "user", maxNameLen, u.UUID, &u.Name, upd.Name); err != nil {
			return err
		}
		if upd.DefaultProjectID != nil {
			if err := s.checkDefaultProject(ctx, tx, *upd.DefaultProjectID); err != nil {
				return err
			}
			u.DefaultProjectID = *upd.DefaultProjectID
		}
		if upd.Email != nil {
			u.Email = *upd.Email
		}
		if upd.Description != nil {
			u.Description = *upd.Description
		}
		if upd.Password != nil {
			u.PasswordHash = hash
			revoke = true
		}
		if upd.Enabled != nil {
			revoke = revoke || (u.Enabled && !*upd.Enabled)
			u.Enabled = *upd.Enabled
		}
		if err := tx.Update(ctx, u); err != nil {
			return err
		}
		if revoke {
			return revokeTokens(ctx, tx, store.Query{Parent: u.UUID})
		}
		return nil
	})
	if revoke {
		s.cache.clear()
	}
	if err != nil {
		return nil, fmt.Errorf("update user %s: %w", id, err)
	}
	return u, nil
}

// ChangePassword sets a user's password after checking the original one,
// and revokes the user's tokens. A wrong original password gives an error
// wrapping model.ErrUnauthorized.
func (s *Service) ChangePassword(ctx context.Context, userID, original, password string) error {
	u, err := s.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	if !s.checkSecret(u.PasswordHash, original) {
		return model.Unauthorizedf("The original password is wrong.")
	}
	if _, err := s.UpdateUser(ctx, userID, UserUpdate{Password: &password}); err != nil {
		return err
	}
	return nil
}

// DeleteUser deletes a user with the user's role assignments, application
// credentials and tokens.
func (s *Service) DeleteUser(ctx context.Context, id string) error {
	return s.deleteWithDependents(ctx, model.KindUser, id, store.Query{Parent: id})
}
