package cluster

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

type createOptions struct {
	name              string
	template          string
	keypair           string
	masterCount       int
	nodeCount         int
	flavor            string
	masterFlavor      string
	dockerVolumeSize  int
	labels            cmdutil.LabelFlags
	mergeLabels       bool
	timeout           int
	masterLBEnabled   bool
	floatingIPEnabled bool
	floatingIPOff     bool
	fixedNetwork      string
	fixedSubnet       string
	wait              bool
}

func newCreateCommand(f *cmdutil.Factory) *cobra.Command {
	o := &createOptions{}
	cmd := &cobra.Command{
		Use:   "create NAME --template TEMPLATE",
		Short: "Create a cluster",
		Example: `  slipway cluster create k8s --template k8s-template --node-count 2 --wait
  slipway cluster create k8s --template k8s-template --label kube_tag=v1.31.1 --merge-labels`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name = args[0]
			body, err := o.body(cmd)
			if err != nil {
				return err
			}
			return o.run(cmd.Context(), f, body)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.template, "template", "", "cluster template UUID or name (required)")
	fl.StringVar(&o.template, "cluster-template", "", "alias of --template")
	_ = fl.MarkHidden("cluster-template")
	fl.StringVar(&o.keypair, "keypair", "", "SSH keypair for the nodes")
	fl.IntVar(&o.masterCount, "master-count", 1, "number of control plane nodes")
	fl.IntVar(&o.nodeCount, "node-count", 1, "number of worker nodes")
	fl.StringVar(&o.flavor, "flavor", "", "worker flavor (default: the template's)")
	fl.StringVar(&o.masterFlavor, "master-flavor", "", "control plane flavor (default: the template's)")
	fl.IntVar(&o.dockerVolumeSize, "docker-volume-size", 0, "container storage volume size in GB")
	o.labels.AddFlags(cmd)
	fl.BoolVar(&o.mergeLabels, "merge-labels", false, "merge the labels with the template's instead of replacing them")
	fl.IntVar(&o.timeout, "timeout", 60, "minutes before the creation is considered failed")
	fl.BoolVar(&o.masterLBEnabled, "master-lb-enabled", false, "put a load balancer in front of the API servers")
	fl.BoolVar(&o.floatingIPEnabled, "floating-ip-enabled", false, "give the nodes floating IPs")
	fl.BoolVar(&o.floatingIPOff, "floating-ip-disabled", false, "give the nodes no floating IPs")
	fl.StringVar(&o.fixedNetwork, "fixed-network", "", "existing network for the nodes")
	fl.StringVar(&o.fixedSubnet, "fixed-subnet", "", "existing subnet for the nodes")
	fl.BoolVar(&o.wait, "wait", false, "wait until the cluster is created, printing its status")
	cmd.MarkFlagsMutuallyExclusive("floating-ip-enabled", "floating-ip-disabled")
	cmd.MarkFlagsMutuallyExclusive("template", "cluster-template")
	cmd.MarkFlagsOneRequired("template", "cluster-template")
	return cmd
}

// body builds the request from the flags the user set; the others are left
// to the template and the server.
func (o *createOptions) body(cmd *cobra.Command) (v1.ClusterCreate, error) {
	labels, err := o.labels.Map()
	if err != nil {
		return v1.ClusterCreate{}, err
	}
	b := v1.ClusterCreate{
		Name:              &o.name,
		ClusterTemplateID: &o.template,
		Keypair:           cmdutil.StringIf(cmd, "keypair", o.keypair),
		MasterCount:       cmdutil.IntIf(cmd, "master-count", o.masterCount),
		NodeCount:         cmdutil.IntIf(cmd, "node-count", o.nodeCount),
		FlavorID:          cmdutil.StringIf(cmd, "flavor", o.flavor),
		MasterFlavorID:    cmdutil.StringIf(cmd, "master-flavor", o.masterFlavor),
		DockerVolumeSize:  cmdutil.IntIf(cmd, "docker-volume-size", o.dockerVolumeSize),
		Labels:            labels,
		MergeLabels:       cmdutil.BoolIf(cmd, "merge-labels", o.mergeLabels),
		CreateTimeout:     &o.timeout,
		MasterLBEnabled:   cmdutil.BoolIf(cmd, "master-lb-enabled", o.masterLBEnabled),
		FixedNetwork:      cmdutil.StringIf(cmd, "fixed-network", o.fixedNetwork),
		FixedSubnet:       cmdutil.StringIf(cmd, "fixed-subnet", o.fixedSubnet),
	}
	b.FloatingIPEnabled = cmdutil.EnabledIf(cmd, "floating-ip-enabled", o.floatingIPEnabled, "floating-ip-disabled", o.floatingIPOff)
	return b, nil
}

func (o *createOptions) run(ctx context.Context, f *cmdutil.Factory, body v1.ClusterCreate) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	id, err := c.Clusters().Create(ctx, body)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Request to create cluster %s accepted", id)
	if err := f.PrintMessage(msg, v1.UUIDResponse{UUID: id}); err != nil {
		return err
	}
	if !o.wait {
		return nil
	}
	return f.NewWaiter("cluster "+o.name).UntilStable(ctx, cmdutil.ClusterStatus(c, id))
}
