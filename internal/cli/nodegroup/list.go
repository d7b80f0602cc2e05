package nodegroup

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	"github.com/slipway/slipway/internal/cli/printers"
)

type listOptions struct {
	cluster string
	role    string
}

func newListCommand(f *cmdutil.Factory) *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:   "list CLUSTER",
		Short: "List the nodegroups of a cluster",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cluster = args[0]
			return o.run(cmd.Context(), f)
		},
	}
	cmd.Flags().StringVar(&o.role, "role", "", "only nodegroups with this role")
	return cmd
}

func (o *listOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	groups, err := c.NodeGroups().List(ctx, o.cluster, o.role)
	if err != nil {
		return err
	}
	t := printers.NewTable("UUID", "NAME", "FLAVOR_ID", "IMAGE_ID", "NODE_COUNT", "STATUS", "ROLE")
	for _, ng := range groups {
		t.AddRow(ng.UUID, ng.Name, printers.Str(ng.FlavorID), printers.Str(ng.ImageID),
			printers.Int(ng.NodeCount), ng.Status, ng.Role)
	}
	return f.Print(groups, t)
}
