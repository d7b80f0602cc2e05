package cluster

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

type resizeOptions struct {
	cluster       string
	nodeCount     int
	nodesToRemove []string
	nodegroup     string
	wait          bool
}

func newResizeCommand(f *cmdutil.Factory) *cobra.Command {
	o := &resizeOptions{}
	cmd := &cobra.Command{
		Use:   "resize CLUSTER NODE_COUNT",
		Short: "Change the number of nodes of a nodegroup",
		Long:  "Change the number of nodes of a nodegroup, by default the cluster's default worker nodegroup.",
		Example: `  slipway cluster resize k8s 3 --wait
  slipway cluster resize k8s 1 --nodes-to-remove k8s-node-1,k8s-node-2 --nodegroup big`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cluster = args[0]
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 0 {
				return fmt.Errorf("node count %q is not a non-negative integer", args[1])
			}
			o.nodeCount = n
			return o.run(cmd.Context(), f)
		},
	}
	cmd.Flags().StringSliceVar(&o.nodesToRemove, "nodes-to-remove", nil, "servers to remove first, by name or ID (comma-separated)")
	cmd.Flags().StringVar(&o.nodegroup, "nodegroup", "", "nodegroup to resize (default: the default worker nodegroup)")
	cmd.Flags().BoolVar(&o.wait, "wait", false, "wait until the resize is done, printing the status")
	return cmd
}

func (o *resizeOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	id, err := c.Clusters().Resize(ctx, o.cluster, v1.ResizeRequest{
		NodeCount:     &o.nodeCount,
		NodesToRemove: o.nodesToRemove,
		NodeGroup:     o.nodegroup,
	})
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Request to resize cluster %s has been accepted.", o.cluster)
	if err := f.PrintMessage(msg, v1.UUIDResponse{UUID: id}); err != nil {
		return err
	}
	if !o.wait {
		return nil
	}
	return waitStable(ctx, f, c, id)
}
