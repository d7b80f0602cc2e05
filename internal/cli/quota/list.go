package quota

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	"github.com/slipway/slipway/internal/cli/printers"
)

type listOptions struct {
	allTenants bool
}

func newListCommand(f *cmdutil.Factory) *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List quotas",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), f)
		},
	}
	cmd.Flags().BoolVar(&o.allTenants, "all-tenants", false, "list the quotas of every project (admin)")
	return cmd
}

func (o *listOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	quotas, err := c.Quotas().List(ctx, o.allTenants)
	if err != nil {
		return err
	}
	t := printers.NewTable("PROJECT_ID", "RESOURCE", "HARD_LIMIT")
	for _, q := range quotas {
		t.AddRow(q.ProjectID, q.Resource, printers.Int(q.HardLimit))
	}
	return f.Print(quotas, t)
}
