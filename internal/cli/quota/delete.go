package quota

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
)

type deleteOptions struct {
	target
}

func newDeleteCommand(f *cmdutil.Factory) *cobra.Command {
	o := &deleteOptions{}
	cmd := &cobra.Command{
		Use:   "delete --project-id PROJECT",
		Short: "Delete a quota (admin)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), f)
		},
	}
	o.addFlags(cmd, "project the quota applies to (required)")
	_ = cmd.MarkFlagRequired("project-id")
	return cmd
}

func (o *deleteOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	if err := c.Quotas().Delete(ctx, o.projectID, o.resource); err != nil {
		return err
	}
	return f.PrintDeleted("quota", []string{o.projectID + "/" + o.resource})
}
