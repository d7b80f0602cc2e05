package nodegroup

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
)

type showOptions struct {
	cluster   string
	nodegroup string
}

func newShowCommand(f *cmdutil.Factory) *cobra.Command {
	o := &showOptions{}
	return &cobra.Command{
		Use:   "show CLUSTER NODEGROUP",
		Short: "Show a nodegroup",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cluster, o.nodegroup = args[0], args[1]
			return o.run(cmd.Context(), f)
		},
	}
}

func (o *showOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	ng, err := c.NodeGroups().Get(ctx, o.cluster, o.nodegroup)
	if err != nil {
		return err
	}
	return f.PrintObject(ng)
}
