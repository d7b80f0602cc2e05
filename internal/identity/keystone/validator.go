package keystone

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/identity"
	"github.com/slipway/slipway/internal/model"
	v3 "github.com/slipway/slipway/pkg/apis/identity/v3"
)

// ErrUnavailable means Keystone could not be reached or failed to answer;
// the API maps it to 503.
var ErrUnavailable = errors.New("keystone is unavailable")

// maxCacheAge bounds how long a validated token is trusted without asking
// Keystone again.
const maxCacheAge = 60 * time.Second

// maxCacheEntries bounds the cache; past it, the cache starts over.
const maxCacheEntries = 10_000

// maxBody caps the token documents read from Keystone.
const maxBody = 4 << 20

// defaultTimeout bounds a validation request when the caller's client has
// no timeout of its own.
const defaultTimeout = 10 * time.Second

// Validator validates tokens with GET /v3/auth/tokens on a Keystone, and
// caches what it learns for up to a minute. It is safe for concurrent use.
type Validator struct {
	endpoint string
	client   *http.Client
	now      func() time.Time

	mu    sync.Mutex
	cache map[[sha256.Size]byte]cacheEntry
}

type cacheEntry struct {
	creds *identity.Credentials
	until time.Time
}

// New returns a Validator for the Keystone at url, either its root (e.g.
// http://keystone:5000) or its /v3 endpoint. A nil client means one with a
// ten-second timeout.
func New(url string, client *http.Client) *Validator {
	if client == nil {
		client = &http.Client{Timeout: defaultTimeout}
	}
	url = strings.TrimRight(url, "/")
	url = strings.TrimSuffix(url, "/v3")
	return &Validator{
		endpoint: url + "/v3/auth/tokens",
		client:   client,
		now:      time.Now,
		cache:    make(map[[sha256.Size]byte]cacheEntry),
	}
}

// Validate asks Keystone what token grants: the token validates itself.
// An unknown, revoked or expired token gives an error wrapping
// model.ErrUnauthorized; an unreachable or failing Keystone one wrapping
// ErrUnavailable. Role names include the implied ones.
func (v *Validator) Validate(ctx context.Context, token string) (*identity.Credentials, error) {
	if token == "" {
		return nil, model.Unauthorizedf("No token given.")
	}
	key := sha256.Sum256([]byte(token))
	now := v.now()
	if c := v.cached(key, now); c != nil {
		return c, nil
	}
	creds, err := v.fetch(ctx, token)
	if err != nil {
		return nil, err
	}
	if !now.Before(creds.ExpiresAt) {
		return nil, model.Unauthorizedf("The token expired at %s.", creds.ExpiresAt.UTC().Format(time.RFC3339))
	}
	until := now.Add(maxCacheAge)
	if creds.ExpiresAt.Before(until) {
		until = creds.ExpiresAt
	}
	v.mu.Lock()
	if len(v.cache) >= maxCacheEntries {
		v.evict(now)
	}
	v.cache[key] = cacheEntry{creds: creds, until: until}
	v.mu.Unlock()
	return clone(creds), nil
}

func (v *Validator) cached(key [sha256.Size]byte, now time.Time) *identity.Credentials {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.cache[key]
	if !ok {
		return nil
	}
	if !now.Before(e.until) {
		delete(v.cache, key)
		return nil
	}
	return clone(e.creds)
}

// evict drops expired entries, or everything if none has expired.
func (v *Validator) evict(now time.Time) {
	n := len(v.cache)
	for k, e := range v.cache {
		if !now.Before(e.until) {
			delete(v.cache, k)
		}
	}
	if len(v.cache) == n {
		clear(v.cache)
	}
}

func clone(c *identity.Credentials) *identity.Credentials {
	out := *c
	out.Roles = append([]string(nil), c.Roles...)
	return &out
}

// fetch asks Keystone about token.
func (v *Validator) fetch(ctx context.Context, token string) (*identity.Credentials, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.endpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("validate token: %w", err)
	}
	req.Header.Set(v3.HeaderAuthToken, token)
	req.Header.Set(v3.HeaderSubjectToken, token)
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("validate token with %s: %w: %w", v.endpoint, ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("validate token with %s: read response: %w: %w", v.endpoint, ErrUnavailable, err)
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusNonAuthoritativeInfo:
	case http.StatusUnauthorized, http.StatusNotFound:
		return nil, model.Unauthorizedf("The token is unknown, expired or revoked.")
	default:
		return nil, fmt.Errorf("validate token with %s: %w: HTTP %d: %s", v.endpoint, ErrUnavailable, resp.StatusCode, errorMessage(body))
	}
	var doc v3.TokenResponse
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("validate token with %s: decode token: %w: %w", v.endpoint, ErrUnavailable, err)
	}
	return credentials(&doc.Token), nil
}

// errorMessage extracts the message of a Keystone error body.
func errorMessage(body []byte) string {
	var e v3.ErrorResponse
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		return e.Error.Message
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// credentials translates a Keystone token document.
func credentials(t *v3.Token) *identity.Credentials {
	c := &identity.Credentials{
		UserID:    t.User.ID,
		UserName:  t.User.Name,
		DomainID:  t.User.Domain.ID,
		ExpiresAt: t.ExpiresAt.Time,
		Roles:     []string{},
	}
	if t.Project != nil {
		c.ProjectID, c.ProjectName = t.Project.ID, t.Project.Name
	}
	names := make([]string, 0, len(t.Roles))
	for _, r := range t.Roles {
		names = append(names, r.Name)
	}
	c.Roles = identity.ExpandRoles(names)
	if t.ApplicationCredential != nil {
		c.AppCredID = t.ApplicationCredential.ID
	}
	return c
}
