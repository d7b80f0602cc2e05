package template

import (
	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
)

// NewCommand returns the `template` command with its verbs.
func NewCommand(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "template",
		Aliases: []string{"cluster-template"},
		Short:   "Manage cluster templates",
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(
		newListCommand(f),
		newShowCommand(f),
		newCreateCommand(f),
		newUpdateCommand(f),
		newDeleteCommand(f),
	)
	return cmd
}
