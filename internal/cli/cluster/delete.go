package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
)

type deleteOptions struct {
	clusters []string
	wait     bool
}

func newDeleteCommand(f *cmdutil.Factory) *cobra.Command {
	o := &deleteOptions{}
	cmd := &cobra.Command{
		Use:   "delete CLUSTER...",
		Short: "Delete clusters",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.clusters = args
			return o.run(cmd.Context(), f)
		},
	}
	cmd.Flags().BoolVar(&o.wait, "wait", false, "wait until the clusters are gone, printing their status")
	return cmd
}

func (o *deleteOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	var errs []error
	var names []string
	for _, name := range o.clusters {
		if err := c.Clusters().Delete(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("delete cluster %s: %w", name, err))
			continue
		}
		names = append(names, name)
	}
	if err := f.PrintDeleted("cluster", names); err != nil {
		return err
	}
	if o.wait {
		errs = append(errs, f.WaitDeleted(ctx, "cluster", names, func(name string) cmdutil.StatusFunc { return cmdutil.ClusterStatus(c, name) }))
	}
	return errors.Join(errs...)
}
