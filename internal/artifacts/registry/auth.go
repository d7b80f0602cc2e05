package registry

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/identity"
	"github.com/slipway/slipway/internal/model"
)

// Errors an Authenticator returns.
var (
	// ErrBadCredentials means the username or password is wrong, or the
	// user or project is disabled. The registry answers 401.
	ErrBadCredentials = errors.New("bad credentials")
	// ErrNoAccess means the credentials are good but hold no role on the
	// project asked for. The registry answers 403.
	ErrNoAccess = errors.New("no role on the project")
)

// Authenticator checks the HTTP basic credentials a registry client sends.
type Authenticator interface {
	// AuthenticateBasic checks username and password and returns what they
	// grant on the project named project, or, when project is empty, on
	// the user's default project, if any. Wrong credentials give an error
	// wrapping ErrBadCredentials; good credentials with no role on project
	// give one wrapping ErrNoAccess.
	AuthenticateBasic(ctx context.Context, username, password, project string) (*identity.Credentials, error)
}

// IdentityAuthenticator authenticates registry clients against Slipway's
// built-in identity service. The username and password are a Slipway
// user's, or an application credential's id and secret.
type IdentityAuthenticator struct {
	Service *identity.Service
}

// AuthenticateBasic implements Authenticator. It tries a password first,
// then an application credential, whose project must be project when that
// is set.
func (a IdentityAuthenticator) AuthenticateBasic(ctx context.Context, username, password, project string) (*identity.Credentials, error) {
	if username == "" || password == "" {
		return nil, ErrBadCredentials
	}
	pw := &identity.PasswordAuth{User: identity.UserRef{Name: username}, Password: password}
	scope := identity.Scope{}
	if project != "" {
		scope.Project = &identity.ProjectRef{Name: project}
	}
	_, creds, _, err := a.Service.Authenticate(ctx, identity.AuthRequest{Methods: []string{identity.MethodPassword}, Password: pw, Scope: scope})
	if err == nil {
		return creds, nil
	}
	if !errors.Is(err, model.ErrUnauthorized) {
		return nil, fmt.Errorf("authenticate %s: %w", username, err)
	}
	if project != "" {
		// The scope may be what failed: ask again without one.
		_, _, _, uerr := a.Service.Authenticate(ctx, identity.AuthRequest{
			Methods: []string{identity.MethodPassword}, Password: pw, Scope: identity.Scope{Unscoped: true},
		})
		if uerr == nil {
			return nil, fmt.Errorf("user %s on project %s: %w", username, project, ErrNoAccess)
		}
	}
	_, creds, _, aerr := a.Service.Authenticate(ctx, identity.AuthRequest{
		Methods: []string{identity.MethodAppCred},
		AppCred: &identity.AppCredAuth{ID: username, Secret: password},
	})
	if aerr != nil {
		if errors.Is(aerr, model.ErrUnauthorized) || errors.Is(aerr, model.ErrNotFound) {
			return nil, fmt.Errorf("user %s: %w", username, ErrBadCredentials)
		}
		return nil, fmt.Errorf("authenticate %s: %w", username, aerr)
	}
	if project != "" && creds.ProjectName != project {
		return nil, fmt.Errorf("application credential %s on project %s: %w", username, project, ErrNoAccess)
	}
	return creds, nil
}

// Cache lifetimes. Registry clients send credentials with every request,
// and checking a password costs a bcrypt comparison, so results are kept
// briefly, keyed by a hash of the credentials.
const (
	authCacheTTL     = time.Minute
	authFailureTTL   = 5 * time.Second
	authCacheEntries = 4096
)

// authCache remembers recent authentication results.
type authCache struct {
	next Authenticator
	now  func() time.Time

	mu      sync.Mutex
	entries map[[32]byte]authEntry
}

type authEntry struct {
	creds   *identity.Credentials
	err     error
	expires time.Time
}

func newAuthCache(next Authenticator) *authCache {
	return &authCache{next: next, now: time.Now, entries: map[[32]byte]authEntry{}}
}

// AuthenticateBasic implements Authenticator over the cache.
func (c *authCache) AuthenticateBasic(ctx context.Context, username, password, project string) (*identity.Credentials, error) {
	key := sha256.Sum256([]byte(username + "\x00" + password + "\x00" + project))
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.creds, e.err
	}
	creds, err := c.next.AuthenticateBasic(ctx, username, password, project)
	ttl := authCacheTTL
	switch {
	case err == nil:
	case errors.Is(err, ErrBadCredentials) || errors.Is(err, ErrNoAccess):
		ttl = authFailureTTL
	default:
		return nil, err // not the client's fault: do not remember
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= authCacheEntries {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= authCacheEntries {
			clear(c.entries)
		}
	}
	c.entries[key] = authEntry{creds: creds, err: err, expires: now.Add(ttl)}
	return creds, err
}
