package template

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

type updateOptions struct {
	template string
	patch    []v1.PatchOp
}

func newUpdateCommand(f *cmdutil.Factory) *cobra.Command {
	o := &updateOptions{}
	return &cobra.Command{
		Use:   "update TEMPLATE add|replace|remove PATH=VALUE...",
		Short: "Update a cluster template with a JSON patch",
		Long: `Update a cluster template with a JSON patch, as 'openstack coe cluster
template update' does. add and replace take PATH=VALUE pairs, remove takes
PATHs. A labels value is a list of KEY=VALUE pairs.`,
		Example: `  slipway template update k8s replace master_lb_enabled=true labels=kube_tag=v1.32.0,auto_healing_enabled=true
  slipway template update k8s remove dns_nameserver`,
		Args: cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.template = args[0]
			patch, err := cmdutil.ParsePatch(args[1], args[2:])
			if err != nil {
				return err
			}
			o.patch = patch
			return o.run(cmd.Context(), f)
		},
	}
}

func (o *updateOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	t, err := c.ClusterTemplates().Update(ctx, o.template, o.patch)
	if err != nil {
		return err
	}
	return f.PrintObject(t)
}
