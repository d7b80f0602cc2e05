package cluster

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

type upgradeOptions struct {
	cluster      string
	template     string
	maxBatchSize int
	nodegroup    string
	wait         bool
}

func newUpgradeCommand(f *cmdutil.Factory) *cobra.Command {
	o := &upgradeOptions{}
	cmd := &cobra.Command{
		Use:     "upgrade CLUSTER TEMPLATE",
		Short:   "Upgrade a cluster to another cluster template",
		Example: `  slipway cluster upgrade k8s k8s-v1.32 --wait`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cluster, o.template = args[0], args[1]
			return o.run(cmd.Context(), f)
		},
	}
	cmd.Flags().IntVar(&o.maxBatchSize, "max-batch-size", 1, "most nodes replaced at once")
	cmd.Flags().StringVar(&o.nodegroup, "nodegroup", "", "nodegroup to upgrade (default: the default worker nodegroup)")
	cmd.Flags().BoolVar(&o.wait, "wait", false, "wait until the upgrade is done, printing the status")
	return cmd
}

func (o *upgradeOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	id, err := c.Clusters().Upgrade(ctx, o.cluster, v1.UpgradeRequest{
		ClusterTemplate: o.template,
		MaxBatchSize:    &o.maxBatchSize,
		NodeGroup:       o.nodegroup,
	})
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Request to upgrade cluster %s has been accepted.", o.cluster)
	if err := f.PrintMessage(msg, v1.UUIDResponse{UUID: id}); err != nil {
		return err
	}
	if !o.wait {
		return nil
	}
	return waitStable(ctx, f, c, id)
}
