package nodegroup

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	"github.com/slipway/slipway/pkg/client"
)

// NewCommand returns the `nodegroup` command with its verbs.
func NewCommand(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "nodegroup",
		Short: "Manage the nodegroups of a cluster",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(
		newListCommand(f),
		newShowCommand(f),
		newCreateCommand(f),
		newUpdateCommand(f),
		newDeleteCommand(f),
	)
	return cmd
}

func nodegroupStatus(c *client.Client, cluster, nodegroup string) cmdutil.StatusFunc {
	return func(ctx context.Context) (string, string, error) {
		ng, err := c.NodeGroups().Get(ctx, cluster, nodegroup)
		if err != nil {
			return "", "", err
		}
		reason := ""
		if ng.StatusReason != nil {
			reason = *ng.StatusReason
		}
		return ng.Status, reason, nil
	}
}
