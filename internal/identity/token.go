package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// TokenPrefix starts every token the service issues.
const TokenPrefix = "slw_"

// tokenBytes is the number of random bytes in a token.
const tokenBytes = 32

// tokenLen is the length of a well-formed token: the prefix and the
// unpadded base64 of tokenBytes.
const tokenLen = len(TokenPrefix) + (tokenBytes*8+5)/6

// HashToken returns the identifier under which the store keeps token: the
// hex SHA-256 of the token. The token itself is never stored.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newToken returns a fresh random token.
func newToken() string {
	var b [tokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// tokenRecord is the stored form of a token: model.Token plus a snapshot of
// the names the token shows, so that validating it is a single read.
type tokenRecord struct {
	model.Token
	UserName    string `json:"user_name"`
	ProjectName string `json:"project_name,omitempty"`
	// RoleIDs are the ids of Roles, in the same order.
	RoleIDs           []string `json:"role_ids,omitempty"`
	AppCredName       string   `json:"application_credential_name,omitempty"`
	AppCredRestricted bool     `json:"application_credential_restricted,omitempty"`
}

// TokenInfo is everything a token says: its Credentials plus the details
// that a Keystone token document shows.
type TokenInfo struct {
	Credentials
	// RoleIDs are the ids of Credentials.Roles, in the same order.
	RoleIDs []string
	// Methods are the authentication methods that produced the token.
	Methods  []string
	AuditID  string
	IssuedAt time.Time
	// AppCredName is the name of Credentials.AppCredID.
	AppCredName string
	// AppCredRestricted reports whether the application credential may not
	// manage other application credentials.
	AppCredRestricted bool
}

func (r *tokenRecord) info() *TokenInfo {
	return &TokenInfo{
		Credentials: Credentials{
			UserID:      r.UserID,
			UserName:    r.UserName,
			ProjectID:   r.ProjectID,
			ProjectName: r.ProjectName,
			DomainID:    model.DefaultDomainID,
			Roles:       r.Roles,
			ExpiresAt:   r.ExpiresAt,
			AppCredID:   r.AppCredID,
		},
		RoleIDs:           r.RoleIDs,
		Methods:           r.Methods,
		AuditID:           r.AuditID,
		IssuedAt:          r.IssuedAt,
		AppCredName:       r.AppCredName,
		AppCredRestricted: r.AppCredRestricted,
	}
}

func (ti *TokenInfo) clone() *TokenInfo {
	out := *ti
	out.Roles = slices.Clone(ti.Roles)
	out.RoleIDs = slices.Clone(ti.RoleIDs)
	out.Methods = slices.Clone(ti.Methods)
	return &out
}

// Validate checks token and returns what it grants. Errors wrap
// model.ErrUnauthorized when the token is malformed, unknown, revoked or
// expired. It reads the store at most once, and not at all while the token
// is in the short-lived in-process cache.
func (s *Service) Validate(ctx context.Context, token string) (*Credentials, error) {
	ti, err := s.lookup(ctx, token)
	if err != nil {
		return nil, err
	}
	return ti.Credentials.clone(), nil
}

// Inspect is Validate with the full details of the token, as
// GET /v3/auth/tokens shows them.
func (s *Service) Inspect(ctx context.Context, token string) (*TokenInfo, error) {
	ti, err := s.lookup(ctx, token)
	if err != nil {
		return nil, err
	}
	return ti.clone(), nil
}

// lookup returns the shared, cached TokenInfo for token; callers clone it.
func (s *Service) lookup(ctx context.Context, token string) (*TokenInfo, error) {
	if len(token) != tokenLen || !strings.HasPrefix(token, TokenPrefix) {
		return nil, model.Unauthorizedf("The token is malformed.")
	}
	now := s.now()
	hash := HashToken(token)
	ti, gen := s.cache.get(hash, now)
	if ti == nil {
		rec := &tokenRecord{}
		if err := s.st.Get(ctx, hash, rec); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, model.Unauthorizedf("The token is unknown or has been revoked.")
			}
			return nil, fmt.Errorf("validate token: %w", err)
		}
		ti = rec.info()
		s.cache.put(hash, ti, gen, now)
	}
	if !now.Before(ti.ExpiresAt) {
		return nil, model.Unauthorizedf("The token expired at %s.", ti.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return ti, nil
}

// RevokeToken revokes token. An unknown token gives an error wrapping
// model.ErrNotFound.
func (s *Service) RevokeToken(ctx context.Context, token string) error {
	hash := HashToken(token)
	err := s.st.Delete(ctx, model.KindToken, hash)
	s.cache.remove(hash)
	if err != nil {
		return notFound(err, "The token is unknown or has been revoked.")
	}
	return nil
}

// revokeTokens deletes the tokens matching q within w. Callers must call
// s.cache.clear after the transaction that holds w commits.
func revokeTokens(ctx context.Context, w store.Writer, q store.Query) error {
	if _, err := w.DeleteWhere(ctx, model.KindToken, q); err != nil {
		return fmt.Errorf("revoke tokens: %w", err)
	}
	return nil
}

// purgePage is how many tokens PurgeExpired reads at a time.
const purgePage = 500

// PurgeExpired deletes every expired token and returns how many it
// deleted. The lead runs it periodically.
func (s *Service) PurgeExpired(ctx context.Context) (int, error) {
	now := s.now()
	var expired []string
	q := store.Query{Limit: purgePage}
	for {
		recs, err := s.st.List(ctx, model.KindToken, q)
		if errors.Is(err, store.ErrNotFound) && q.Marker != "" {
			// The marker was revoked meanwhile; purge what was found and
			// leave the rest to the next run.
			break
		}
		if err != nil {
			return 0, fmt.Errorf("purge expired tokens: %w", err)
		}
		for _, rec := range recs {
			var doc struct {
				ExpiresAt time.Time `json:"expires_at"`
			}
			if err := json.Unmarshal(rec.Doc, &doc); err != nil {
				return 0, fmt.Errorf("purge expired tokens: decode %s: %w", rec.Meta.UUID, err)
			}
			if !now.Before(doc.ExpiresAt) {
				expired = append(expired, rec.Meta.UUID)
			}
		}
		if len(recs) < purgePage {
			break
		}
		q.Marker = recs[len(recs)-1].Meta.UUID
	}
	n := 0
	for chunk := range slices.Chunk(expired, purgePage) {
		err := s.st.InTx(ctx, func(tx store.Writer) error {
			for _, h := range chunk {
				if err := tx.Delete(ctx, model.KindToken, h); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("purge expired tokens: %w", err)
		}
		n += len(chunk)
	}
	s.cache.purge(now)
	if n > 0 {
		s.log.Debug("purged expired tokens", "count", n)
	}
	return n, nil
}

// tokenCache remembers validated tokens by hash for a short time. A
// generation counter keeps a validation that raced with a revocation from
// caching what the revocation removed.
type tokenCache struct {
	ttl time.Duration
	mu  sync.RWMutex
	gen uint64
	m   map[string]cacheEntry
}

type cacheEntry struct {
	info  *TokenInfo
	until time.Time
}

// maxCacheEntries bounds the cache; past it, the cache starts over.
const maxCacheEntries = 100_000

func newTokenCache(ttl time.Duration) *tokenCache {
	return &tokenCache{ttl: ttl, m: make(map[string]cacheEntry)}
}

// get returns the cached info for hash, or nil and the generation that a
// later put must present.
func (c *tokenCache) get(hash string, now time.Time) (*TokenInfo, uint64) {
	if c.ttl < 0 {
		return nil, 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if e, ok := c.m[hash]; ok && now.Before(e.until) {
		return e.info, c.gen
	}
	return nil, c.gen
}

func (c *tokenCache) put(hash string, ti *TokenInfo, gen uint64, now time.Time) {
	if c.ttl < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) >= maxCacheEntries {
		clear(c.m)
	}
	c.m[hash] = cacheEntry{info: ti, until: now.Add(c.ttl)}
}

func (c *tokenCache) remove(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, hash)
}

// clear forgets every token; revocations that cannot name the tokens they
// removed call it.
func (c *tokenCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

func (c *tokenCache) purge(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.m {
		if !now.Before(e.until) || !now.Before(e.info.ExpiresAt) {
			delete(c.m, h)
		}
	}
}
