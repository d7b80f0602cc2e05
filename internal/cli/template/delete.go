package template

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
)

type deleteOptions struct {
	templates []string
}

func newDeleteCommand(f *cmdutil.Factory) *cobra.Command {
	o := &deleteOptions{}
	return &cobra.Command{
		Use:   "delete TEMPLATE...",
		Short: "Delete cluster templates",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.templates = args
			return o.run(cmd.Context(), f)
		},
	}
}

func (o *deleteOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	var errs []error
	var done []string
	for _, name := range o.templates {
		if err := c.ClusterTemplates().Delete(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("delete cluster template %s: %w", name, err))
			continue
		}
		done = append(done, name)
	}
	if err := f.PrintDeleted("cluster template", done); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
