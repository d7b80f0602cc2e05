package cluster

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	"github.com/slipway/slipway/internal/cli/printers"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
	"github.com/slipway/slipway/pkg/client"
)

type listOptions struct {
	list   client.ListOptions
	detail bool
}

func newListCommand(f *cmdutil.Factory) *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List clusters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), f)
		},
	}
	cmd.Flags().IntVar(&o.list.Limit, "limit", 0, "maximum number of clusters to return")
	cmd.Flags().StringVar(&o.list.Marker, "marker", "", "UUID of the last cluster of the previous page")
	cmd.Flags().StringVar(&o.list.SortKey, "sort-key", "", "field to sort by")
	cmd.Flags().StringVar(&o.list.SortDir, "sort-dir", "", "sort direction: asc or desc")
	cmd.Flags().BoolVar(&o.detail, "detail", false, "return the full clusters (for json and yaml output)")
	return cmd
}

func (o *listOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	t := printers.NewTable("UUID", "NAME", "KEYPAIR", "NODE_COUNT", "MASTER_COUNT", "STATUS", "HEALTH_STATUS")
	if o.detail {
		clusters, err := c.Clusters().ListDetail(ctx, o.list)
		if err != nil {
			return err
		}
		for _, cl := range clusters {
			addRow(t, v1.ClusterSummary{UUID: cl.UUID, Name: cl.Name, Keypair: cl.Keypair, NodeCount: cl.NodeCount,
				MasterCount: cl.MasterCount, Status: cl.Status, HealthStatus: cl.HealthStatus})
		}
		return f.Print(clusters, t)
	}
	clusters, err := c.Clusters().List(ctx, o.list)
	if err != nil {
		return err
	}
	for _, cl := range clusters {
		addRow(t, cl)
	}
	return f.Print(clusters, t)
}

func addRow(t *printers.Table, cl v1.ClusterSummary) {
	t.AddRow(cl.UUID, cl.Name, printers.Str(cl.Keypair), printers.Int(cl.NodeCount),
		printers.Int(cl.MasterCount), cl.Status, printers.Str(cl.HealthStatus))
}
