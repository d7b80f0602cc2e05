package nodegroup

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
)

type deleteOptions struct {
	cluster    string
	nodegroups []string
	wait       bool
}

func newDeleteCommand(f *cmdutil.Factory) *cobra.Command {
	o := &deleteOptions{}
	cmd := &cobra.Command{
		Use:   "delete CLUSTER NODEGROUP...",
		Short: "Delete nodegroups",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cluster, o.nodegroups = args[0], args[1:]
			return o.run(cmd.Context(), f)
		},
	}
	cmd.Flags().BoolVar(&o.wait, "wait", false, "wait until the nodegroups are gone, printing their status")
	return cmd
}

func (o *deleteOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	var errs []error
	var names []string
	for _, name := range o.nodegroups {
		if err := c.NodeGroups().Delete(ctx, o.cluster, name); err != nil {
			errs = append(errs, fmt.Errorf("delete nodegroup %s: %w", name, err))
			continue
		}
		names = append(names, name)
	}
	if err := f.PrintDeleted("nodegroup", names); err != nil {
		return err
	}
	if o.wait {
		errs = append(errs, f.WaitDeleted(ctx, "nodegroup", names, func(name string) cmdutil.StatusFunc { return nodegroupStatus(c, o.cluster, name) }))
	}
	return errors.Join(errs...)
}
