package template

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	"github.com/slipway/slipway/internal/cli/printers"
	"github.com/slipway/slipway/pkg/client"
)

type listOptions struct {
	list client.ListOptions
}

func newListCommand(f *cmdutil.Factory) *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List cluster templates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), f)
		},
	}
	cmd.Flags().IntVar(&o.list.Limit, "limit", 0, "maximum number of templates to return")
	cmd.Flags().StringVar(&o.list.Marker, "marker", "", "UUID of the last template of the previous page")
	cmd.Flags().StringVar(&o.list.SortKey, "sort-key", "", "field to sort by")
	cmd.Flags().StringVar(&o.list.SortDir, "sort-dir", "", "sort direction: asc or desc")
	return cmd
}

func (o *listOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	templates, err := c.ClusterTemplates().List(ctx, o.list)
	if err != nil {
		return err
	}
	t := printers.NewTable("UUID", "NAME", "COE", "IMAGE_ID", "PUBLIC", "HIDDEN", "TAGS")
	for _, ct := range templates {
		t.AddRow(ct.UUID, printers.Str(ct.Name), ct.COE, ct.ImageID, printers.Bool(ct.Public),
			printers.Bool(ct.Hidden), printers.Str(ct.Tags))
	}
	return f.Print(templates, t)
}
