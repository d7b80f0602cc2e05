package template

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
)

type showOptions struct {
	template string
}

func newShowCommand(f *cmdutil.Factory) *cobra.Command {
	o := &showOptions{}
	return &cobra.Command{
		Use:   "show TEMPLATE",
		Short: "Show a cluster template",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.template = args[0]
			return o.run(cmd.Context(), f)
		},
	}
}

func (o *showOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	t, err := c.ClusterTemplates().Get(ctx, o.template)
	if err != nil {
		return err
	}
	return f.PrintObject(t)
}
