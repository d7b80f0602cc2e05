package quota

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
)

type updateOptions struct {
	limit
}

func newUpdateCommand(f *cmdutil.Factory) *cobra.Command {
	o := &updateOptions{}
	cmd := &cobra.Command{
		Use:   "update --project-id PROJECT --hard-limit N",
		Short: "Change a quota (admin)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), f)
		},
	}
	o.addFlags(cmd)
	return cmd
}

func (o *updateOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	q, err := c.Quotas().Update(ctx, o.projectID, o.resource, o.request())
	if err != nil {
		return err
	}
	return f.PrintObject(q)
}
