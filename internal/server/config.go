package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Mode says which halves of Slipway a process runs.
type Mode int

// The process modes.
const (
	// ModeAll runs the API and a conductor in one process (slipway serve).
	ModeAll Mode = iota
	// ModeAPI runs only the API; work goes to conductors over the queue.
	ModeAPI
	// ModeConductor runs only the conductor.
	ModeConductor
)

// Config is everything a Slipway process is told at start.
type Config struct {
	Mode Mode
	// DataDir holds the SQLite database, the secret key and the client
	// configuration files.
	DataDir string
	// Listen is the API's address, host:port; port 0 picks a free one.
	Listen string
	// PublicURL is the URL clients reach the API at; empty means
	// http://<listen address>.
	PublicURL string
	// Database is a PostgreSQL URL, or empty for SQLite in DataDir.
	Database string
	// SecretKey is a base64 key for secrets at rest; empty means the key
	// file in DataDir (created on first start).
	SecretKey string
	// KeystoneURL, when set, makes the API validate tokens against that
	// Keystone instead of the built-in identity service.
	KeystoneURL string
	// AdminPassword is the bootstrap admin's password on first start;
	// empty means generate one.
	AdminPassword string
	// Workers is how many cluster operations a conductor runs at once.
	Workers int
	// MaxAttempts is the delivery limit of a work item.
	MaxAttempts int
	// TokenTTL is the lifetime of issued tokens.
	TokenTTL time.Duration
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// LogFormat is text or json.
	LogFormat string
	// CacheDir is the host's artifacts cache; empty means artifacts.Dir().
	CacheDir string
	// Provider names the infrastructure provider a process with a
	// conductor runs (Components.Providers), or "none".
	Provider string
	// Egress lets the provider's machines reach beyond this host. Off by
	// default: no packet from a machine leaves the host.
	Egress bool
}

// Environment variables that set defaults for flags.
const (
	EnvDataDir       = "SLIPWAY_DATA_DIR"
	EnvListen        = "SLIPWAY_LISTEN"
	EnvDatabase      = "SLIPWAY_DATABASE"
	EnvSecretKey     = "SLIPWAY_SECRET_KEY"
	EnvAdminPassword = "SLIPWAY_ADMIN_PASSWORD"
	EnvKeystoneURL   = "SLIPWAY_KEYSTONE_URL"
	EnvPublicURL     = "SLIPWAY_PUBLIC_URL"
	EnvLogLevel      = "SLIPWAY_LOG_LEVEL"
	EnvProvider      = "SLIPWAY_PROVIDER"
)

// DefaultProvider is the provider serve and conductor run: the local host.
const DefaultProvider = "local"

// DefaultListen is the Magnum API's customary port, on loopback.
const DefaultListen = "127.0.0.1:9511"

func (c *Config) validate() error {
	if c.Mode != ModeAll && c.Database == "" {
		return fmt.Errorf("the split api and conductor roles share a PostgreSQL database: set --db postgres://…")
	}
	if c.Database != "" && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		return fmt.Errorf("--db must be a postgres:// URL; SQLite lives in the data directory")
	}
	if c.DataDir == "" {
		return fmt.Errorf("a data directory is required")
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	return nil
}

func (c *Config) sqlitePath() string { return filepath.Join(c.DataDir, "slipway.db") }

func (c *Config) dsn() string {
	if c.Database != "" {
		return c.Database
	}
	return c.sqlitePath()
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
