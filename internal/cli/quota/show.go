package quota

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
)

type showOptions struct {
	target
}

func newShowCommand(f *cmdutil.Factory) *cobra.Command {
	o := &showOptions{}
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show a project's quota",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), f)
		},
	}
	o.addFlags(cmd, "project (default: the current one)")
	return cmd
}

func (o *showOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	project := o.projectID
	if project == "" {
		project = c.ProjectID()
	}
	q, err := c.Quotas().Get(ctx, project, o.resource)
	if err != nil {
		return err
	}
	return f.PrintObject(q)
}
