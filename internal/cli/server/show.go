package server

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
)

type showOptions struct {
	server string
}

func newShowCommand(f *cmdutil.Factory) *cobra.Command {
	o := &showOptions{}
	return &cobra.Command{
		Use:   "show SERVER_ID",
		Short: "Show a server's state now: status (ERROR with the reason when its agent died), addresses, boots",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.server = args[0]
			return o.run(cmd.Context(), f)
		},
	}
}

func (o *showOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	srv, err := c.Servers().Get(ctx, o.server)
	if err != nil {
		return err
	}
	return f.PrintObject(srv)
}
