package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/artifacts"
	storesql "github.com/slipway/slipway/internal/store/sql"
	"github.com/slipway/slipway/pkg/client"
)

// Teardowner is a provider that can remove everything it made on its
// host, as an uninstall does.
type Teardowner interface {
	Teardown(ctx context.Context) error
}

// teardownCommand removes what the provider of a data directory made.
func teardownCommand(comps Components, stdout io.Writer) *cobra.Command {
	cfg := Config{Mode: ModeAll}
	cmd := &cobra.Command{
		Use:   "teardown",
		Short: "Remove everything the local provider made for a data directory (stop Slipway first)",
		Long: `Remove every machine, network, router, load balancer and volume the
provider made on this host for a data directory, and its public network, as an
uninstall does. Clusters and stacks in the database are left as records whose
resources are gone. Stop slipway serve (or the conductors) first: machines
outlive Slipway by design, and a running Slipway would start them again.`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.SecretKey == "" {
				cfg.SecretKey = os.Getenv(EnvSecretKey)
			}
			return teardown(cmd.Context(), cfg, comps, stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", envOr(EnvDataDir, client.DefaultDataDir()), "data directory whose provider is removed")
	f.StringVar(&cfg.Database, "db", envOr(EnvDatabase, ""), "PostgreSQL URL, when the data directory's Slipway used one")
	f.StringVar(&cfg.SecretKey, "secret-key", "", "base64 key for secrets at rest (default: $SLIPWAY_SECRET_KEY, else DATA_DIR/secret.key)")
	f.StringVar(&cfg.Provider, "provider", envOr(EnvProvider, DefaultProvider), "infrastructure provider: local")
	f.StringVar(&cfg.CacheDir, "cache-dir", artifacts.Dir(), "artifacts cache ($SLIPWAY_CACHE_DIR)")
	return cmd
}

func teardown(ctx context.Context, cfg Config, comps Components, stdout io.Writer) error {
	if _, err := os.Stat(cfg.DataDir); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	factory, ok := comps.Providers[cfg.Provider]
	if !ok {
		return fmt.Errorf("provider %q has nothing to tear down", cfg.Provider)
	}
	// A running conductor holds the lock: it would boot again what this
	// removes.
	lock, err := lockConductor(cfg.DataDir)
	if err != nil {
		return err
	}
	defer lock.Close()
	box, err := secretBox(cfg)
	if err != nil {
		return err
	}
	st, err := storesql.Open(ctx, cfg.dsn(), box)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	log, err := newLogger(io.Discard, "error", "text")
	if err != nil {
		return err
	}
	p, err := factory(ctx, ProviderDeps{DataDir: cfg.DataDir, Store: st, Log: log, CacheDir: cfg.CacheDir})
	if err != nil {
		return fmt.Errorf("open provider %s: %w", cfg.Provider, err)
	}
	t, ok := p.(Teardowner)
	if !ok {
		return errors.New("this provider cannot tear down")
	}
	if err := t.Teardown(ctx); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "removed everything provider %s made for %s\n", cfg.Provider, cfg.DataDir)
	return err
}
