package cluster

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	"github.com/slipway/slipway/pkg/client"
)

// NewCommand returns the `cluster` command with its verbs.
func NewCommand(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Manage Kubernetes clusters",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(
		newListCommand(f),
		newShowCommand(f),
		newCreateCommand(f),
		newUpdateCommand(f),
		newDeleteCommand(f),
		newResizeCommand(f),
		newUpgradeCommand(f),
		newConfigCommand(f),
	)
	return cmd
}

// waitStable waits until the cluster leaves *_IN_PROGRESS.
func waitStable(ctx context.Context, f *cmdutil.Factory, c *client.Client, ident string) error {
	return f.NewWaiter("cluster "+ident).UntilStable(ctx, cmdutil.ClusterStatus(c, ident))
}
