package nodegroup

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

type createOptions struct {
	cluster          string
	name             string
	nodeCount        int
	minNodes         int
	maxNodes         int
	role             string
	flavor           string
	image            string
	dockerVolumeSize int
	labels           cmdutil.LabelFlags
	mergeLabels      bool
	wait             bool
}

func newCreateCommand(f *cmdutil.Factory) *cobra.Command {
	o := &createOptions{}
	cmd := &cobra.Command{
		Use:     "create CLUSTER NAME",
		Short:   "Add a nodegroup to a cluster",
		Example: `  slipway nodegroup create k8s big --flavor m1.large --node-count 2 --max-nodes 5 --wait`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cluster, o.name = args[0], args[1]
			body, err := o.body(cmd)
			if err != nil {
				return err
			}
			return o.run(cmd.Context(), f, body)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&o.nodeCount, "node-count", 1, "number of nodes")
	fl.IntVar(&o.minNodes, "min-nodes", 0, "fewest nodes the autoscaler may leave")
	fl.IntVar(&o.maxNodes, "max-nodes", 0, "most nodes the autoscaler may add (default: no limit)")
	fl.StringVar(&o.role, "role", "worker", "role of the nodes")
	fl.StringVar(&o.flavor, "flavor", "", "flavor of the nodes (default: the cluster's)")
	fl.StringVar(&o.image, "image", "", "image of the nodes (default: the template's)")
	fl.IntVar(&o.dockerVolumeSize, "docker-volume-size", 0, "container storage volume size in GB")
	o.labels.AddFlags(cmd)
	fl.BoolVar(&o.mergeLabels, "merge-labels", false, "merge the labels with the cluster's instead of replacing them")
	fl.BoolVar(&o.wait, "wait", false, "wait until the nodegroup is created, printing its status")
	return cmd
}

func (o *createOptions) body(cmd *cobra.Command) (v1.NodeGroupCreate, error) {
	labels, err := o.labels.Map()
	if err != nil {
		return v1.NodeGroupCreate{}, err
	}
	return v1.NodeGroupCreate{
		Name:             &o.name,
		NodeCount:        cmdutil.IntIf(cmd, "node-count", o.nodeCount),
		MinNodeCount:     cmdutil.IntIf(cmd, "min-nodes", o.minNodes),
		MaxNodeCount:     cmdutil.IntIf(cmd, "max-nodes", o.maxNodes),
		Role:             &o.role,
		FlavorID:         cmdutil.StringIf(cmd, "flavor", o.flavor),
		ImageID:          cmdutil.StringIf(cmd, "image", o.image),
		DockerVolumeSize: cmdutil.IntIf(cmd, "docker-volume-size", o.dockerVolumeSize),
		Labels:           labels,
		MergeLabels:      cmdutil.BoolIf(cmd, "merge-labels", o.mergeLabels),
	}, nil
}

func (o *createOptions) run(ctx context.Context, f *cmdutil.Factory, body v1.NodeGroupCreate) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	ng, err := c.NodeGroups().Create(ctx, o.cluster, body)
	if err != nil {
		return err
	}
	if err := f.PrintObject(ng); err != nil {
		return err
	}
	if !o.wait {
		return nil
	}
	return f.NewWaiter("nodegroup "+o.name).UntilStable(ctx, nodegroupStatus(c, o.cluster, ng.UUID))
}
