// Command slipway-node is the machine agent alone: `slipway-node node` is
// `slipway node` without the rest of Slipway linked in. Every local machine
// runs one as its init, so its size is paid once per machine; the local
// provider uses it when it sits next to the slipway executable.
package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/node"
)

func main() {
	root := &cobra.Command{
		Use:           "slipway-node",
		Short:         "The agent inside every Slipway machine (run by the local provider)",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.AddCommand(node.Command())
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
