package identity

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// appCredSecretLen is the length of generated application-credential
// secrets.
const appCredSecretLen = 64

// RoleRef names a role by id or, when ID is empty, by name.
type RoleRef struct {
	ID   string
	Name string
}

// AppCredCreate describes a new application credential.
type AppCredCreate struct {
	Name        string
	Description string
	// Secret is generated when empty.
	Secret string
	// Roles default to every role of the creating token.
	Roles []RoleRef
	// Unrestricted lets the credential manage other application
	// credentials.
	Unrestricted bool
	ExpiresAt    *time.Time
}

// CreateApplicationCredential creates an application credential for the
// bearer of creds, on the project the token is scoped to, and returns it
// with its secret, which is never shown again. Only users themselves may
// create their credentials, with a subset of their token's roles.
func (s *Service) CreateApplicationCredential(ctx context.Context, creds *Credentials, userID string, in AppCredCreate) (*model.ApplicationCredential, string, error) {
	if creds.UserID != userID {
		return nil, "", model.Forbiddenf("Application credentials can only be created by their own user.")
	}
	if !creds.Scoped() {
		return nil, "", model.Forbiddenf("Creating an application credential needs a project-scoped token.")
	}
	if err := s.checkUnrestricted(ctx, creds); err != nil {
		return nil, "", err
	}
	if err := validName("application credential", in.Name, maxNameLen); err != nil {
		return nil, "", err
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.now()) {
		return nil, "", model.Invalidf("The expiry time %s is in the past.", in.ExpiresAt.UTC().Format(time.RFC3339))
	}
	secret := in.Secret
	if secret == "" {
		secret = randomString(appCredSecretLen)
	}
	hash, err := s.hashSecret(secret)
	if err != nil {
		return nil, "", err
	}
	ac := &model.ApplicationCredential{
		Name:         in.Name,
		Description:  in.Description,
		UserID:       userID,
		ProjectID:    creds.ProjectID,
		SecretHash:   hash,
		Unrestricted: in.Unrestricted,
	}
	ac.UUID = newID()
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC()
		ac.ExpiresAt = &t
	}
	err = s.st.InTx(ctx, func(tx store.Writer) error {
		idx, err := s.roleIndex(ctx, tx)
		if err != nil {
			return err
		}
		if ac.RoleIDs, err = appCredRoles(idx, creds.Roles, in.Roles); err != nil {
			return err
		}
		dup, err := store.List[model.ApplicationCredential](ctx, tx, store.Query{Parent: userID, Name: in.Name, Limit: 1})
		if err != nil {
			return fmt.Errorf("look up application credential: %w", err)
		}
		if len(dup) > 0 {
			return model.Conflictf("An application credential named %q already exists.", in.Name)
		}
		return createError(tx.Create(ctx, ac), "application credential", ac.UUID)
	})
	if err != nil {
		return nil, "", fmt.Errorf("create application credential %s: %w", in.Name, err)
	}
	return ac, secret, nil
}

// appCredRoles resolves the requested roles to ids, each of which the token
// must hold; no request means all of the token's roles.
func appCredRoles(idx *roleIndex, held []string, want []RoleRef) ([]string, error) {
	if len(want) == 0 {
		ids := make([]string, 0, len(held))
		for _, name := range held {
			if id, ok := idx.byName[name]; ok {
				ids = append(ids, id)
			}
		}
		return ids, nil
	}
	ids := make([]string, 0, len(want))
	for _, ref := range want {
		id, name := ref.ID, ref.Name
		if id != "" {
			var ok bool
			if name, ok = idx.byID[id]; !ok {
				return nil, model.NotFoundf("Could not find role %s.", id)
			}
		} else if id = idx.byName[name]; id == "" {
			return nil, model.NotFoundf("Could not find role %s.", name)
		}
		if !slices.Contains(held, name) {
			return nil, model.Forbiddenf("The token does not hold role %s, so the application credential cannot either.", name)
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// checkUnrestricted refuses tokens of restricted application credentials,
// which may not manage application credentials.
func (s *Service) checkUnrestricted(ctx context.Context, creds *Credentials) error {
	if creds.AppCredID == "" {
		return nil
	}
	ac, err := store.Get[model.ApplicationCredential](ctx, s.st, creds.AppCredID)
	if err != nil {
		return notFound(err, "Could not find application credential %s.", creds.AppCredID)
	}
	if !ac.Unrestricted {
		return model.Forbiddenf("A restricted application credential cannot manage application credentials.")
	}
	return nil
}

// GetApplicationCredential returns the application credential id of user.
func (s *Service) GetApplicationCredential(ctx context.Context, userID, id string) (*model.ApplicationCredential, error) {
	ac, err := store.Get[model.ApplicationCredential](ctx, s.st, id)
	if err != nil {
		return nil, notFound(err, "Could not find application credential %s.", id)
	}
	if ac.UserID != userID {
		return nil, model.NotFoundf("Could not find application credential %s.", id)
	}
	return ac, nil
}

// ListApplicationCredentials returns the application credentials of user,
// or only the one called name when it is not empty.
func (s *Service) ListApplicationCredentials(ctx context.Context, userID, name string) ([]*model.ApplicationCredential, error) {
	acs, err := store.List[model.ApplicationCredential](ctx, s.st, store.Query{Parent: userID, Name: name})
	if err != nil {
		return nil, fmt.Errorf("list application credentials of user %s: %w", userID, err)
	}
	return acs, nil
}

// DeleteApplicationCredential deletes the application credential id of
// user and revokes the tokens issued for it. creds is the caller's; a
// restricted application credential may not delete credentials.
func (s *Service) DeleteApplicationCredential(ctx context.Context, creds *Credentials, userID, id string) error {
	if err := s.checkUnrestricted(ctx, creds); err != nil {
		return err
	}
	err := s.st.InTx(ctx, func(tx store.Writer) error {
		ac, err := store.Get[model.ApplicationCredential](ctx, tx, id)
		if err != nil || ac.UserID != userID {
			return notFound(store.ErrNotFound, "Could not find application credential %s.", id)
		}
		if err := tx.Delete(ctx, model.KindApplicationCredential, id); err != nil {
			return notFound(err, "Could not find application credential %s.", id)
		}
		return revokeTokens(ctx, tx, store.Query{Ref: id})
	})
	s.cache.clear()
	if err != nil {
		return fmt.Errorf("delete application credential %s: %w", id, err)
	}
	return nil
}
