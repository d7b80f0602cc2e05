package server

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	"github.com/slipway/slipway/internal/cli/printers"
	orchv1 "github.com/slipway/slipway/pkg/apis/orchestration/v1"
)

type logOptions struct {
	server string
	lines  int
}

func newLogCommand(f *cmdutil.Factory) *cobra.Command {
	o := &logOptions{}
	cmd := &cobra.Command{
		Use:   "log SERVER_ID",
		Short: "Print a server's console log: its agent's messages and the output of its user_data",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.server = args[0]
			return o.run(cmd.Context(), f)
		},
	}
	cmd.Flags().IntVar(&o.lines, "lines", 0, "print only the last N lines (default: all)")
	return cmd
}

func (o *logOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	out, err := c.Servers().ConsoleLog(ctx, o.server, o.lines)
	if err != nil {
		return err
	}
	format, err := f.Format()
	if err != nil {
		return err
	}
	if format != printers.FormatTable {
		return printers.Print(f.Streams.Out, format, orchv1.ConsoleOutput{Output: out}, nil)
	}
	_, err = io.WriteString(f.Streams.Out, out)
	return err
}
