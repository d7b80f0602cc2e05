package nodegroup

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

type updateOptions struct {
	cluster   string
	nodegroup string
	patch     []v1.PatchOp
	wait      bool
}

func newUpdateCommand(f *cmdutil.Factory) *cobra.Command {
	o := &updateOptions{}
	cmd := &cobra.Command{
		Use:   "update CLUSTER NODEGROUP add|replace|remove PATH=VALUE...",
		Short: "Update a nodegroup with a JSON patch",
		Long: `Update a nodegroup with a JSON patch. Only min_node_count and max_node_count
can change; use 'slipway cluster resize --nodegroup' to change node_count.`,
		Example: `  slipway nodegroup update k8s big replace min_node_count=1 max_node_count=5`,
		Args:    cobra.MinimumNArgs(4),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cluster, o.nodegroup = args[0], args[1]
			patch, err := cmdutil.ParsePatch(args[2], args[3:])
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
	ng, err := c.NodeGroups().Update(ctx, o.cluster, o.nodegroup, o.patch)
	if err != nil {
		return err
	}
	if err := f.PrintObject(ng); err != nil {
		return err
	}
	if !o.wait {
		return nil
	}
	return f.NewWaiter("nodegroup "+o.nodegroup).UntilStable(ctx, nodegroupStatus(c, o.cluster, ng.UUID))
}
