package server

import (
	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
)

// NewCommand returns the `server` command with its verbs.
func NewCommand(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Show the servers that stacks made: their state and console log",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(
		newShowCommand(f),
		newLogCommand(f),
	)
	return cmd
}
