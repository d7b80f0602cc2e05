package model

// ClusterTemplate is a reusable description of a cluster, Magnum's
// "cluster template". Empty strings mean "unset" and show as null on the wire.
type ClusterTemplate struct {
	Meta                `json:"-"`
	Name                string            `json:"name"`
	ProjectID           string            `json:"project_id"`
	UserID              string            `json:"user_id"`
	COE                 string            `json:"coe"`
	ImageID             string            `json:"image_id"`
	FlavorID            string            `json:"flavor_id,omitempty"`
	MasterFlavorID      string            `json:"master_flavor_id,omitempty"`
	DNSNameserver       string            `json:"dns_nameserver,omitempty"`
	KeypairID           string            `json:"keypair_id,omitempty"`
	ExternalNetworkID   string            `json:"external_network_id,omitempty"`
	FixedNetwork        string            `json:"fixed_network,omitempty"`
	FixedSubnet         string            `json:"fixed_subnet,omitempty"`
	NetworkDriver       string            `json:"network_driver,omitempty"`
	VolumeDriver        string            `json:"volume_driver,omitempty"`
	APIServerPort       *int              `json:"apiserver_port,omitempty"`
	DockerVolumeSize    *int              `json:"docker_volume_size,omitempty"`
	DockerStorageDriver string            `json:"docker_storage_driver,omitempty"`
	ClusterDistro       string            `json:"cluster_distro,omitempty"`
	HTTPProxy           string            `json:"http_proxy,omitempty"`
	HTTPSProxy          string            `json:"https_proxy,omitempty"`
	NoProxy             string            `json:"no_proxy,omitempty"`
	RegistryEnabled     bool              `json:"registry_enabled"`
	InsecureRegistry    string            `json:"insecure_registry,omitempty"`
	Labels              map[string]string `json:"labels"`
	TLSDisabled         bool              `json:"tls_disabled"`
	Public              bool              `json:"public"`
	Hidden              bool              `json:"hidden"`
	ServerType          string            `json:"server_type"`
	MasterLBEnabled     bool              `json:"master_lb_enabled"`
	FloatingIPEnabled   bool              `json:"floating_ip_enabled"`
	Tags                string            `json:"tags,omitempty"`
	Driver              string            `json:"driver,omitempty"`
}

// Kind implements Object.
func (*ClusterTemplate) Kind() Kind { return KindClusterTemplate }

// Index implements Object.
func (t *ClusterTemplate) Index() Index { return Index{Name: t.Name, ProjectID: t.ProjectID} }

// Cluster is a Kubernetes cluster owned by a project.
type Cluster struct {
	Meta               `json:"-"`
	Name               string            `json:"name"`
	ProjectID          string            `json:"project_id"`
	UserID             string            `json:"user_id"`
	ClusterTemplateID  string            `json:"cluster_template_id"`
	Keypair            string            `json:"keypair,omitempty"`
	DockerVolumeSize   *int              `json:"docker_volume_size,omitempty"`
	Labels             map[string]string `json:"labels"`
	MasterFlavorID     string            `json:"master_flavor_id,omitempty"`
	FlavorID           string            `json:"flavor_id,omitempty"`
	CreateTimeout      int               `json:"create_timeout"`
	FixedNetwork       string            `json:"fixed_network,omitempty"`
	FixedSubnet        string            `json:"fixed_subnet,omitempty"`
	FloatingIPEnabled  bool              `json:"floating_ip_enabled"`
	MasterLBEnabled    bool              `json:"master_lb_enabled"`
	DiscoveryURL       string            `json:"discovery_url,omitempty"`
	Status             Status            `json:"status"`
	StatusReason       string            `json:"status_reason,omitempty"`
	HealthStatus       HealthStatus      `json:"health_status,omitempty"`
	HealthStatusReason map[string]string `json:"health_status_reason,omitempty"`
	APIAddress         string            `json:"api_address,omitempty"`
	COEVersion         string            `json:"coe_version,omitempty"`
	ContainerVersion   string            `json:"container_version,omitempty"`
	StackID            string            `json:"stack_id,omitempty"`
	// NodeCount, MasterCount and the addresses roll the nodegroups up (see
	// RollUp), so that lists need not read every nodegroup.
	NodeCount       int      `json:"node_count"`
	MasterCount     int      `json:"master_count"`
	NodeAddresses   []string `json:"node_addresses,omitempty"`
	MasterAddresses []string `json:"master_addresses,omitempty"`
	// Operation is the change the conductor is carrying out, or last carried
	// out; with Status it tells a resumed conductor what to do.
	Operation Operation `json:"operation,omitempty"`
	// Rollback asks the conductor to roll a failed update back.
	Rollback bool `json:"rollback,omitempty"`
	// NodesToRemove names the nodes a pending resize removes first.
	NodesToRemove []string `json:"nodes_to_remove,omitempty"`
	// TargetTemplateID is the template a pending upgrade moves to.
	TargetTemplateID string `json:"target_template_id,omitempty"`
	// UpgradeBatchSize is how many workers a pending upgrade takes down at
	// once (the request's max_batch_size); zero means one.
	UpgradeBatchSize int `json:"upgrade_batch_size,omitempty"`
}

// Kind implements Object.
func (*Cluster) Kind() Kind { return KindCluster }

// Index implements Object.
func (c *Cluster) Index() Index {
	return Index{Name: c.Name, ProjectID: c.ProjectID, Ref: c.ClusterTemplateID}
}

// Nodegroup roles.
const (
	RoleMaster = "master"
	RoleWorker = "worker"
)

// Names of the nodegroups every cluster starts with.
const (
	DefaultMasterNodeGroup = "default-master"
	DefaultWorkerNodeGroup = "default-worker"
)

// NodeGroup is a set of identical nodes within a cluster.
type NodeGroup struct {
	Meta             `json:"-"`
	Name             string            `json:"name"`
	ClusterID        string            `json:"cluster_id"`
	ProjectID        string            `json:"project_id"`
	DockerVolumeSize *int              `json:"docker_volume_size,omitempty"`
	Labels           map[string]string `json:"labels"`
	FlavorID         string            `json:"flavor_id,omitempty"`
	ImageID          string            `json:"image_id,omitempty"`
	NodeAddresses    []string          `json:"node_addresses"`
	NodeCount        int               `json:"node_count"`
	Role             string            `json:"role"`
	MinNodeCount     int               `json:"min_node_count"`
	MaxNodeCount     *int              `json:"max_node_count,omitempty"`
	IsDefault        bool              `json:"is_default"`
	StackID          string            `json:"stack_id,omitempty"`
	Status           Status            `json:"status"`
	StatusReason     string            `json:"status_reason,omitempty"`
	Version          string            `json:"version,omitempty"`
	Operation        Operation         `json:"operation,omitempty"`
}

// Kind implements Object.
func (*NodeGroup) Kind() Kind { return KindNodeGroup }

// Index implements Object.
func (n *NodeGroup) Index() Index {
	return Index{Name: n.Name, ProjectID: n.ProjectID, Parent: n.ClusterID}
}

// IsMaster reports whether the group holds control-plane nodes.
func (n *NodeGroup) IsMaster() bool { return n.Role == RoleMaster }

// QuotaResourceCluster is the only resource Magnum puts a quota on.
const QuotaResourceCluster = "Cluster"

// DefaultClusterQuota is the number of clusters a project may own when no
// quota row says otherwise.
const DefaultClusterQuota = 20

// Quota limits how many of a resource a project may own.
type Quota struct {
	Meta      `json:"-"`
	ProjectID string `json:"project_id"`
	Resource  string `json:"resource"`
	HardLimit int    `json:"hard_limit"`
}

// Kind implements Object.
func (*Quota) Kind() Kind { return KindQuota }

// Index implements Object.
func (q *Quota) Index() Index { return Index{Name: q.Resource, ProjectID: q.ProjectID} }

// RollUp sets the cluster's counts and addresses from its nodegroups:
// masters from master groups, nodes from all others.
func (c *Cluster) RollUp(ngs []*NodeGroup) {
	c.NodeCount, c.MasterCount = 0, 0
	c.NodeAddresses, c.MasterAddresses = nil, nil
	for _, ng := range ngs {
		if ng.IsMaster() {
			c.MasterCount += ng.NodeCount
			c.MasterAddresses = append(c.MasterAddresses, ng.NodeAddresses...)
			continue
		}
		c.NodeCount += ng.NodeCount
		c.NodeAddresses = append(c.NodeAddresses, ng.NodeAddresses...)
	}
}
