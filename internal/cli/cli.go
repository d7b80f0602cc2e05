package cli

import (
	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/ca"
	"github.com/slipway/slipway/internal/cli/cluster"
	"github.com/slipway/slipway/internal/cli/cmdutil"
	"github.com/slipway/slipway/internal/cli/nodegroup"
	"github.com/slipway/slipway/internal/cli/quota"
	"github.com/slipway/slipway/internal/cli/server"
	"github.com/slipway/slipway/internal/cli/stats"
	"github.com/slipway/slipway/internal/cli/template"
)

// IOStreams are the standard streams the commands read and write.
type IOStreams = cmdutil.IOStreams

// NewRootCommand returns the `slipway` command with the client nouns:
// template, cluster, nodegroup, ca, quota, stats and server. It has the persistent
// flags --os-cloud and -o/--output. Errors are printed to streams.ErrOut as
// "Error: <message>"; the caller exits non-zero when Execute returns one.
func NewRootCommand(streams IOStreams) *cobra.Command {
	f := cmdutil.NewFactory(streams)
	cmd := &cobra.Command{
		Use:   "slipway",
		Short: "Slipway runs Kubernetes clusters as a service",
		Long: `Slipway runs Kubernetes clusters as a service, behind the OpenStack Magnum API.

The client commands find credentials like the openstack CLI: the OS_*
environment, or a cloud in clouds.yaml (--os-cloud, $OS_CLOUD, else "slipway",
which 'slipway serve' writes to its data directory).`,
		Args: cobra.NoArgs,
	}
	cmdutil.SetupRoot(cmd, f)
	cmd.AddCommand(
		template.NewCommand(f),
		cluster.NewCommand(f),
		nodegroup.NewCommand(f),
		ca.NewCommand(f),
		quota.NewCommand(f),
		stats.NewCommand(f),
		server.NewCommand(f),
	)
	return cmd
}
