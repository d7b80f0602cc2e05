package template

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

type createOptions struct {
	name                string
	coe                 string
	image               string
	externalNetwork     string
	flavor              string
	masterFlavor        string
	keypair             string
	labels              cmdutil.LabelFlags
	public              bool
	hidden              bool
	masterLBEnabled     bool
	floatingIPEnabled   bool
	floatingIPDisabled  bool
	networkDriver       string
	volumeDriver        string
	dnsNameserver       string
	serverType          string
	fixedNetwork        string
	fixedSubnet         string
	dockerVolumeSize    int
	dockerStorageDriver string
	tlsDisabled         bool
	registryEnabled     bool
	apiServerPort       int
	tags                string
}

func newCreateCommand(f *cmdutil.Factory) *cobra.Command {
	o := &createOptions{}
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a cluster template",
		Example: `  slipway template create k8s --label kube_tag=v1.31.1 --master-lb-enabled
  slipway template create k8s --network-driver calico --labels kube_tag=v1.31.1,auto_healing_enabled=true`,
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
	fl.StringVar(&o.coe, "coe", "kubernetes", "container orchestration engine")
	fl.StringVar(&o.image, "image", "slipway-node", "image of the nodes")
	fl.StringVar(&o.externalNetwork, "external-network", "public", "external network for routers and floating IPs")
	fl.StringVar(&o.flavor, "flavor", "m1.small", "worker flavor")
	fl.StringVar(&o.masterFlavor, "master-flavor", "m1.small", "control plane flavor")
	fl.StringVar(&o.keypair, "keypair", "", "SSH keypair for the nodes")
	o.labels.AddFlags(cmd)
	fl.BoolVar(&o.public, "public", false, "make the template visible to every project (admin)")
	fl.BoolVar(&o.hidden, "hidden", false, "hide the template from listings (admin)")
	fl.BoolVar(&o.masterLBEnabled, "master-lb-enabled", false, "put a load balancer in front of the API servers")
	fl.BoolVar(&o.floatingIPEnabled, "floating-ip-enabled", false, "give the nodes floating IPs (the server's default)")
	fl.BoolVar(&o.floatingIPDisabled, "floating-ip-disabled", false, "give the nodes no floating IPs")
	fl.StringVar(&o.networkDriver, "network-driver", "", "CNI: flannel, calico or cilium")
	fl.StringVar(&o.volumeDriver, "volume-driver", "", "volume driver: cinder")
	fl.StringVar(&o.dnsNameserver, "dns-nameserver", "", "DNS server of the cluster network")
	fl.StringVar(&o.serverType, "server-type", "", "server type: vm or bm")
	fl.StringVar(&o.fixedNetwork, "fixed-network", "", "existing network for the nodes")
	fl.StringVar(&o.fixedSubnet, "fixed-subnet", "", "existing subnet for the nodes")
	fl.IntVar(&o.dockerVolumeSize, "docker-volume-size", 0, "container storage volume size in GB")
	fl.StringVar(&o.dockerStorageDriver, "docker-storage-driver", "", "container storage driver")
	fl.BoolVar(&o.tlsDisabled, "tls-disabled", false, "serve the Kubernetes API without TLS")
	fl.BoolVar(&o.registryEnabled, "registry-enabled", false, "enable the container registry")
	fl.IntVar(&o.apiServerPort, "apiserver-port", 0, "API server port")
	fl.StringVar(&o.tags, "tags", "", "comma-separated tags")
	cmd.MarkFlagsMutuallyExclusive("floating-ip-enabled", "floating-ip-disabled")
	return cmd
}

// body builds the request: the defaulted flags are always sent, the others
// only when set.
func (o *createOptions) body(cmd *cobra.Command) (v1.ClusterTemplateCreate, error) {
	labels, err := o.labels.Map()
	if err != nil {
		return v1.ClusterTemplateCreate{}, err
	}
	b := v1.ClusterTemplateCreate{
		Name:                &o.name,
		COE:                 &o.coe,
		ImageID:             &o.image,
		ExternalNetworkID:   &o.externalNetwork,
		FlavorID:            &o.flavor,
		MasterFlavorID:      &o.masterFlavor,
		KeypairID:           cmdutil.StringIf(cmd, "keypair", o.keypair),
		Labels:              labels,
		Public:              cmdutil.BoolIf(cmd, "public", o.public),
		Hidden:              cmdutil.BoolIf(cmd, "hidden", o.hidden),
		MasterLBEnabled:     cmdutil.BoolIf(cmd, "master-lb-enabled", o.masterLBEnabled),
		NetworkDriver:       cmdutil.StringIf(cmd, "network-driver", o.networkDriver),
		VolumeDriver:        cmdutil.StringIf(cmd, "volume-driver", o.volumeDriver),
		DNSNameserver:       cmdutil.StringIf(cmd, "dns-nameserver", o.dnsNameserver),
		ServerType:          cmdutil.StringIf(cmd, "server-type", o.serverType),
		FixedNetwork:        cmdutil.StringIf(cmd, "fixed-network", o.fixedNetwork),
		FixedSubnet:         cmdutil.StringIf(cmd, "fixed-subnet", o.fixedSubnet),
		DockerVolumeSize:    cmdutil.IntIf(cmd, "docker-volume-size", o.dockerVolumeSize),
		DockerStorageDriver: cmdutil.StringIf(cmd, "docker-storage-driver", o.dockerStorageDriver),
		TLSDisabled:         cmdutil.BoolIf(cmd, "tls-disabled", o.tlsDisabled),
		RegistryEnabled:     cmdutil.BoolIf(cmd, "registry-enabled", o.registryEnabled),
		APIServerPort:       cmdutil.IntIf(cmd, "apiserver-port", o.apiServerPort),
		Tags:                cmdutil.StringIf(cmd, "tags", o.tags),
	}
	b.FloatingIPEnabled = cmdutil.EnabledIf(cmd, "floating-ip-enabled", o.floatingIPEnabled, "floating-ip-disabled", o.floatingIPDisabled)
	return b, nil
}

func (o *createOptions) run(ctx context.Context, f *cmdutil.Factory, body v1.ClusterTemplateCreate) error {
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	t, err := c.ClusterTemplates().Create(ctx, body)
	if err != nil {
		return err
	}
	return f.PrintObject(t)
}
