package cluster

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

type updateOptions struct {
	cluster string
	patch   []v1.PatchOp
	wait    bool
}

func newUpdateCommand(f *cmdutil.Factory) *cobra.Command {
	o := &updateOptions{}
	cmd := &cobra.Command{
		Use:   "update CLUSTER add|replace|remove PATH=VALUE...",
		Short: "Update a cluster with a JSON patch",
		Example: `  slipway cluster update k8s replace node_count=3 --wait
  slipway cluster update k8s replace health_status=HEALTHY`,
		Args: cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cluster = args[0]
			patch, err := cmdutil.ParsePatch(args[1], args[2:])
			if err != nil {
				return err
			}
			o.patch = patch
			return o.run(cmd.Context(), f)
		},
	}
	cmd.Flags().BoolVar(&o.wait, "wait", false, "wait until the update is done, printing the status")
	return cmd
}

func (o *updateOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	id, err := c.Clusters().Update(ctx, o.cluster, o.patch)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Request to update cluster %s has been accepted.", o.cluster)
	if err := f.PrintMessage(msg, v1.UUIDResponse{UUID: id}); err != nil {
		return err
	}
	if !o.wait {
		return nil
	}
	return waitStable(ctx, f, c, id)
}
