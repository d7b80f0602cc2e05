package cluster

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
)

type showOptions struct {
	cluster string
}

func newShowCommand(f *cmdutil.Factory) *cobra.Command {
	o := &showOptions{}
	return &cobra.Command{
		Use:   "show CLUSTER",
		Short: "Show a cluster",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cluster = args[0]
			return o.run(cmd.Context(), f)
		},
	}
}

func (o *showOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	cl, err := c.Clusters().Get(ctx, o.cluster)
	if err != nil {
		return err
	}
	return f.PrintObject(cl)
}
