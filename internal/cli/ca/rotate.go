package ca

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
)

type rotateOptions struct {
	cluster string
	wait    bool
}

func newRotateCommand(f *cmdutil.Factory) *cobra.Command {
	o := &rotateOptions{}
	cmd := &cobra.Command{
		Use:   "rotate CLUSTER",
		Short: "Replace a cluster's CA and reissue its certificates",
		Long: `Replace a cluster's CA and reissue its certificates. Kubeconfigs made
before the rotation stop working; run 'slipway cluster config --force' again.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cluster = args[0]
			return o.run(cmd.Context(), f)
		},
	}
	cmd.Flags().BoolVar(&o.wait, "wait", false, "wait until the cluster is updated, printing its status")
	return cmd
}

type rotated struct {
	Cluster string `json:"cluster"`
}

func (o *rotateOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	if err := c.Certificates().RotateCA(ctx, o.cluster); err != nil {
		return err
	}
	msg := fmt.Sprintf("Request to rotate the CA of cluster %s has been accepted.", o.cluster)
	if err := f.PrintMessage(msg, rotated{Cluster: o.cluster}); err != nil {
		return err
	}
	if !o.wait {
		return nil
	}
	return f.NewWaiter("cluster "+o.cluster).UntilStable(ctx, cmdutil.ClusterStatus(c, o.cluster))
}
