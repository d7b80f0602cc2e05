package identity

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// Defaults for Options.
const (
	DefaultTokenTTL = 12 * time.Hour
	DefaultRegion   = "RegionOne"
	// DefaultCacheTTL is how long a validated token is remembered in
	// process before the store is read again.
	DefaultCacheTTL = 3 * time.Second
)

// CatalogService is one service in the catalog that tokens carry. URL may
// contain "{project_id}", which is replaced by the token's project id.
type CatalogService struct {
	Type string
	Name string
	URL  string
}

// Options configures a Service. Zero fields take the documented defaults.
type Options struct {
	// TokenTTL is the lifetime of issued tokens; zero means DefaultTokenTTL.
	TokenTTL time.Duration
	// Region is the catalog region; empty means DefaultRegion.
	Region string
	// Catalog lists the services that scoped tokens carry.
	Catalog []CatalogService
	// CacheTTL is how long validated tokens are cached in process; zero
	// means DefaultCacheTTL and a negative value turns the cache off.
	CacheTTL time.Duration
	// PasswordCost is the bcrypt cost for passwords and secrets; zero
	// means bcrypt.DefaultCost. Tests lower it.
	PasswordCost int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Log receives operator logs; nil discards them.
	Log *slog.Logger
}

// Service implements identity: authentication, token validation and the
// management of projects, users, roles, assignments and application
// credentials. It is safe for concurrent use.
type Service struct {
	st      store.Store
	opts    Options
	log     *slog.Logger
	cache   *tokenCache
	dummyPW []byte // a bcrypt hash compared against when a user is unknown
}

// New returns a Service over st.
func New(st store.Store, opts Options) *Service {
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.CacheTTL == 0 {
		opts.CacheTTL = DefaultCacheTTL
	}
	if opts.PasswordCost == 0 {
		opts.PasswordCost = bcrypt.DefaultCost
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{st: st, opts: opts, log: opts.Log, cache: newTokenCache(opts.CacheTTL)}
	// A hash of a random password, so that authenticating as an unknown
	// user costs as much as a wrong password.
	if h, err := bcrypt.GenerateFromPassword([]byte(randomString(16)), opts.PasswordCost); err == nil {
		s.dummyPW = h
	}
	return s
}

// Region returns the region named in the catalog.
func (s *Service) Region() string { return s.opts.Region }

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

// newID returns a Keystone-style identifier: 32 lowercase hex digits.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b[:])
}

// notFound translates the store's ErrNotFound into a user-facing 404.
func notFound(err error, format string, a ...any) error {
	if errors.Is(err, store.ErrNotFound) {
		return model.NotFoundf(format, a...)
	}
	return err
}
