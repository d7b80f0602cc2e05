package ca

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
)

type showOptions struct {
	cluster string
	caType  string
}

func newShowCommand(f *cmdutil.Factory) *cobra.Command {
	o := &showOptions{}
	cmd := &cobra.Command{
		Use:   "show CLUSTER",
		Short: "Print a cluster's CA certificate",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cluster = args[0]
			return o.run(cmd.Context(), f)
		},
	}
	cmd.Flags().StringVar(&o.caType, "ca-type", "", "which CA: kubernetes (default), etcd or front_proxy")
	return cmd
}

func (o *showOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	cert, err := c.Certificates().GetCA(ctx, o.cluster, o.caType)
	if err != nil {
		return err
	}
	return printPEM(f, cert)
}
