package quota

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
)

type createOptions struct {
	limit
}

func newCreateCommand(f *cmdutil.Factory) *cobra.Command {
	o := &createOptions{}
	cmd := &cobra.Command{
		Use:     "create --project-id PROJECT --hard-limit N",
		Short:   "Create a quota (admin)",
		Example: `  slipway quota create --project-id 0c4e939acacf4376bdcd1129f1a054ad --hard-limit 10`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), f)
		},
	}
	o.addFlags(cmd)
	return cmd
}

func (o *createOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	q, err := c.Quotas().Create(ctx, o.request())
	if err != nil {
		return err
	}
	return f.PrintObject(q)
}
