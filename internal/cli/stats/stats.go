package stats

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	"github.com/slipway/slipway/internal/cli/printers"
)

type options struct {
	projectID string
}

// NewCommand returns the `stats` command.
func NewCommand(f *cmdutil.Factory) *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Count clusters and nodes",
		Long:  "Count the clusters and nodes of a project: the current one, or for an admin every project unless --project-id is given.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), f)
		},
	}
	cmd.Flags().StringVar(&o.projectID, "project-id", "", "project to count")
	return cmd
}

func (o *options) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	s, err := c.Stats().Get(ctx, o.projectID)
	if err != nil {
		return err
	}
	t := printers.NewTable("CLUSTERS", "NODES")
	t.AddRow(printers.Int(s.Clusters), printers.Int(s.Nodes))
	return f.Print(s, t)
}
