package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/artifacts"
	"github.com/slipway/slipway/pkg/client"
)

// Commands returns the commands that run Slipway processes: serve, api and
// conductor.
func Commands(comps Components, stdout, stderr io.Writer) []*cobra.Command {
	return []*cobra.Command{
		processCommand(ModeAll, comps, stdout, stderr),
		processCommand(ModeAPI, comps, stdout, stderr),
		processCommand(ModeConductor, comps, stdout, stderr),
		teardownCommand(comps, stdout),
	}
}

func processCommand(mode Mode, comps Components, stdout, stderr io.Writer) *cobra.Command {
	cfg := Config{Mode: mode}
	cmd := &cobra.Command{Args: cobra.NoArgs, SilenceUsage: true}
	switch mode {
	case ModeAll:
		cmd.Use = "serve"
		cmd.Short = "Run Slipway in one process: API, identity, conductor, SQLite and the local provider"
		cmd.Long = `Run Slipway in one process with embedded defaults.

On first start it creates the data directory, a secret key for data at rest,
a SQLite database, and an "admin" user in an "admin" project. It writes
DATA_DIR/clouds.yaml (cloud "slipway") and DATA_DIR/openrc, so that

  OS_CLIENT_CONFIG_FILE=DATA_DIR/clouds.yaml OS_CLOUD=slipway openstack coe cluster template list

works at once. GET / answers once Slipway is ready.

Environment variables (flags win):
  SLIPWAY_DATA_DIR        data directory
  SLIPWAY_LISTEN          listen address
  SLIPWAY_PUBLIC_URL      URL clients reach the API at
  SLIPWAY_ADMIN_PASSWORD  admin password on first start (else generated)
  SLIPWAY_SECRET_KEY      base64 32-byte key for secrets at rest (else DATA_DIR/secret.key)
  SLIPWAY_KEYSTONE_URL    validate tokens against this Keystone
  SLIPWAY_LOG_LEVEL       debug, info, warn or error
  SLIPWAY_PROVIDER        infrastructure provider: local (default) or none

The local provider runs servers, networks, load balancers and volumes on this
host (as root). They are not children of this process: stopping it leaves them
running, and the next start adopts them. Machines reach the API at the host's
address on the "public" network; --egress lets them reach beyond this host.`
	case ModeAPI:
		cmd.Use = "api"
		cmd.Short = "Run the API half of Slipway against PostgreSQL (scale-out)"
	case ModeConductor:
		cmd.Use = "conductor"
		cmd.Short = "Run a conductor against PostgreSQL (scale-out)"
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", envOr(EnvDataDir, client.DefaultDataDir()), "data directory (database, secret key, clouds.yaml)")
	f.StringVar(&cfg.Database, "db", envOr(EnvDatabase, ""), "PostgreSQL URL (postgres://…); required for api and conductor, SQLite in the data directory otherwise")
	f.StringVar(&cfg.SecretKey, "secret-key", "", "base64 key for secrets at rest (default: $SLIPWAY_SECRET_KEY, else DATA_DIR/secret.key)")
	f.StringVar(&cfg.LogLevel, "log-level", envOr(EnvLogLevel, "info"), "log level: debug, info, warn or error")
	f.StringVar(&cfg.LogFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&cfg.CacheDir, "cache-dir", artifacts.Dir(), "artifacts cache shared by every data directory: built Kubernetes versions and images ($SLIPWAY_CACHE_DIR)")
	f.IntVar(&cfg.MaxAttempts, "max-attempts", 5, "delivery limit: attempts at an operation before it is marked failed")
	if mode != ModeConductor {
		f.StringVar(&cfg.Listen, "listen", envOr(EnvListen, DefaultListen), "address to serve the APIs on (host:port; port 0 picks a free one)")
		f.StringVar(&cfg.PublicURL, "public-url", envOr(EnvPublicURL, ""), "URL clients reach the API at (default http://<listen address>)")
		f.StringVar(&cfg.KeystoneURL, "keystone-url", envOr(EnvKeystoneURL, ""), "validate tokens against this Keystone instead of the built-in identity")
		f.StringVar(&cfg.AdminPassword, "admin-password", "", "admin password on first start (default: $SLIPWAY_ADMIN_PASSWORD, else generated)")
		f.DurationVar(&cfg.TokenTTL, "token-ttl", 12*time.Hour, "lifetime of issued tokens")
	}
	if mode != ModeAPI {
		f.IntVar(&cfg.Workers, "workers", 8, "cluster operations a conductor runs at once")
		f.StringVar(&cfg.Provider, "provider", envOr(EnvProvider, DefaultProvider), "infrastructure provider: local, or none")
		f.BoolVar(&cfg.Egress, "egress", false, "let the local provider's machines reach beyond this host (NAT to the uplink)")
	}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if cfg.SecretKey == "" {
			cfg.SecretKey = os.Getenv(EnvSecretKey)
		}
		if cfg.AdminPassword == "" {
			cfg.AdminPassword = os.Getenv(EnvAdminPassword)
		}
		log, err := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
		if err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		run, err := Start(ctx, cfg, comps, log)
		if err != nil {
			return err
		}
		if mode != ModeConductor {
			if err := announce(stdout, cfg, run); err != nil {
				_ = run.Stop(context.Background())
				return err
			}
		}
		werr := run.Wait(ctx)
		shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		log.Info("shutting down")
		return errors.Join(werr, run.Stop(shutdown))
	}
	return cmd
}

// announce writes the client configuration and tells the user how to use it.
func announce(w io.Writer, cfg Config, run *Running) error {
	wrote, err := WriteClientConfig(cfg.DataDir, run.AuthURL, run.Bootstrap.Password)
	if err != nil {
		return fmt.Errorf("write client configuration: %w", err)
	}
	if run.Bootstrap.Created {
		fmt.Fprintf(w, "Created user admin in project admin (password in %s/clouds.yaml).\n", cfg.DataDir)
	}
	if wrote {
		fmt.Fprintf(w, "Use it with the openstack CLI:\n  export OS_CLIENT_CONFIG_FILE=%s/clouds.yaml OS_CLOUD=%s\n  openstack coe cluster template list\nor: source %s/openrc\n", cfg.DataDir, CloudName, cfg.DataDir)
	}
	// Last, so that whoever waits for this line has seen everything above.
	fmt.Fprintf(w, "Slipway is ready at %s\n", run.URL)
	return nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", format)
}
