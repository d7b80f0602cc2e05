package v1

import (
	"encoding/json"
	"strings"
	"time"
)

// MinVersion and MaxVersion bound the microversions Slipway serves.
const (
	MinVersion = "1.1"
	MaxVersion = "1.12"
)

// ServiceType is the catalog type and the microversion header's service token.
const ServiceType = "container-infra"

// VersionHeader is the microversion request and response header.
const VersionHeader = "OpenStack-API-Version"

// Timestamp is a time that encodes as Magnum does: ISO-8601 UTC with a
// numeric offset and no fractional seconds.
type Timestamp struct{ time.Time }

// MarshalJSON implements json.Marshaler.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format("2006-01-02T15:04:05+00:00"))
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999", "2006-01-02T15:04:05"} {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v
			return nil
		}
	}
	_, err := time.Parse(time.RFC3339, s)
	return err
}

// NewTimestamp returns t as a Timestamp, or nil for a nil or zero time.
func NewTimestamp(t *time.Time) *Timestamp {
	if t == nil || t.IsZero() {
		return nil
	}
	return &Timestamp{*t}
}

// Link is a hypermedia link.
type Link struct {
	Href string `json:"href"`
	Rel  string `json:"rel"`
	Type string `json:"type,omitempty"`
}

// ErrorBody is the body of every Magnum error response.
type ErrorBody struct {
	Errors []Error `json:"errors"`
}

// Error is one element of ErrorBody.
type Error struct {
	RequestID  string `json:"request_id"`
	Code       string `json:"code"`
	Status     int    `json:"status"`
	Title      string `json:"title"`
	Detail     string `json:"detail"`
	Links      []Link `json:"links"`
	MinVersion string `json:"min_version,omitempty"`
	MaxVersion string `json:"max_version,omitempty"`
}

// Message returns the error's text, for clients.
func (b *ErrorBody) Message() string {
	var parts []string
	for _, e := range b.Errors {
		if e.Detail != "" {
			parts = append(parts, e.Detail)
		} else if e.Title != "" {
			parts = append(parts, e.Title)
		}
	}
	return strings.Join(parts, "; ")
}

// Version describes one API version in the root document.
type Version struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	MinVersion string `json:"min_version"`
	MaxVersion string `json:"max_version"`
	Links      []Link `json:"links"`
}

// RootDocument is the unversioned API document (GET /).
type RootDocument struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Versions    []Version `json:"versions"`
}

// MediaType names a media type the API speaks.
type MediaType struct {
	Base string `json:"base"`
	Type string `json:"type"`
}

// ClusterTemplate is a cluster template as the API shows it.
type ClusterTemplate struct {
	UUID                string            `json:"uuid"`
	Name                *string           `json:"name"`
	COE                 string            `json:"coe"`
	ImageID             string            `json:"image_id"`
	FlavorID            *string           `json:"flavor_id"`
	MasterFlavorID      *string           `json:"master_flavor_id"`
	DNSNameserver       *string           `json:"dns_nameserver"`
	KeypairID           *string           `json:"keypair_id"`
	ExternalNetworkID   *string           `json:"external_network_id"`
	FixedNetwork        *string           `json:"fixed_network"`
	FixedSubnet         *string           `json:"fixed_subnet"`
	NetworkDriver       *string           `json:"network_driver"`
	VolumeDriver        *string           `json:"volume_driver"`
	APIServerPort       *int              `json:"apiserver_port"`
	DockerVolumeSize    *int              `json:"docker_volume_size"`
	DockerStorageDriver *string           `json:"docker_storage_driver"`
	ClusterDistro       *string           `json:"cluster_distro"`
	HTTPProxy           *string           `json:"http_proxy"`
	HTTPSProxy          *string           `json:"https_proxy"`
	NoProxy             *string           `json:"no_proxy"`
	RegistryEnabled     bool              `json:"registry_enabled"`
	InsecureRegistry    *string           `json:"insecure_registry"`
	Labels              map[string]string `json:"labels"`
	TLSDisabled         bool              `json:"tls_disabled"`
	Public              bool              `json:"public"`
	Hidden              bool              `json:"hidden"`
	ServerType          string            `json:"server_type"`
	MasterLBEnabled     bool              `json:"master_lb_enabled"`
	FloatingIPEnabled   bool              `json:"floating_ip_enabled"`
	Tags                *string           `json:"tags"`
	Driver              *string           `json:"driver"`
	ProjectID           string            `json:"project_id"`
	UserID              string            `json:"user_id"`
	Links               []Link            `json:"links"`
	CreatedAt           *Timestamp        `json:"created_at"`
	UpdatedAt           *Timestamp        `json:"updated_at"`
}

// ClusterTemplateList is a page of cluster templates.
type ClusterTemplateList struct {
	ClusterTemplates []ClusterTemplate `json:"clustertemplates"`
	Next             string            `json:"next,omitempty"`
}

// ClusterTemplateCreate is the body of POST /v1/clustertemplates. Pointer
// fields distinguish "absent or null" from a value.
type ClusterTemplateCreate struct {
	UUID                *string `json:"uuid,omitempty"`
	Name                *string `json:"name,omitempty"`
	COE                 *string `json:"coe,omitempty"`
	ImageID             *string `json:"image_id,omitempty"`
	FlavorID            *string `json:"flavor_id,omitempty"`
	MasterFlavorID      *string `json:"master_flavor_id,omitempty"`
	DNSNameserver       *string `json:"dns_nameserver,omitempty"`
	KeypairID           *string `json:"keypair_id,omitempty"`
	ExternalNetworkID   *string `json:"external_network_id,omitempty"`
	FixedNetwork        *string `json:"fixed_network,omitempty"`
	FixedSubnet         *string `json:"fixed_subnet,omitempty"`
	NetworkDriver       *string `json:"network_driver,omitempty"`
	VolumeDriver        *string `json:"volume_driver,omitempty"`
	APIServerPort       *int    `json:"apiserver_port,omitempty"`
	DockerVolumeSize    *int    `json:"docker_volume_size,omitempty"`
	DockerStorageDriver *string `json:"docker_storage_driver,omitempty"`
	HTTPProxy           *string `json:"http_proxy,omitempty"`
	HTTPSProxy          *string `json:"https_proxy,omitempty"`
	NoProxy             *string `json:"no_proxy,omitempty"`
	RegistryEnabled     *bool   `json:"registry_enabled,omitempty"`
	InsecureRegistry    *string `json:"insecure_registry,omitempty"`
	Labels              Labels  `json:"labels,omitempty"`
	TLSDisabled         *bool   `json:"tls_disabled,omitempty"`
	Public              *bool   `json:"public,omitempty"`
	Hidden              *bool   `json:"hidden,omitempty"`
	ServerType          *string `json:"server_type,omitempty"`
	MasterLBEnabled     *bool   `json:"master_lb_enabled,omitempty"`
	FloatingIPEnabled   *bool   `json:"floating_ip_enabled,omitempty"`
	Tags                *string `json:"tags,omitempty"`
	Driver              *string `json:"driver,omitempty"`
}

// Cluster is the full view of a cluster.
type Cluster struct {
	UUID               string            `json:"uuid"`
	Name               string            `json:"name"`
	ClusterTemplateID  string            `json:"cluster_template_id"`
	Keypair            *string           `json:"keypair"`
	DockerVolumeSize   *int              `json:"docker_volume_size"`
	Labels             map[string]string `json:"labels"`
	LabelsOverridden   map[string]string `json:"labels_overridden"`
	LabelsAdded        map[string]string `json:"labels_added"`
	LabelsSkipped      map[string]string `json:"labels_skipped"`
	MasterFlavorID     *string           `json:"master_flavor_id"`
	FlavorID           *string           `json:"flavor_id"`
	CreateTimeout      int               `json:"create_timeout"`
	FixedNetwork       *string           `json:"fixed_network"`
	FixedSubnet        *string           `json:"fixed_subnet"`
	FloatingIPEnabled  bool              `json:"floating_ip_enabled"`
	MasterLBEnabled    bool              `json:"master_lb_enabled"`
	DiscoveryURL       *string           `json:"discovery_url"`
	NodeCount          int               `json:"node_count"`
	MasterCount        int               `json:"master_count"`
	NodeAddresses      []string          `json:"node_addresses"`
	MasterAddresses    []string          `json:"master_addresses"`
	Status             string            `json:"status"`
	StatusReason       *string           `json:"status_reason"`
	HealthStatus       *string           `json:"health_status"`
	HealthStatusReason map[string]string `json:"health_status_reason"`
	APIAddress         *string           `json:"api_address"`
	COEVersion         *string           `json:"coe_version"`
	ContainerVersion   *string           `json:"container_version"`
	StackID            *string           `json:"stack_id"`
	ClusterID          *string           `json:"cluster_id,omitempty"`
	ProjectID          string            `json:"project_id"`
	UserID             string            `json:"user_id"`
	MergeLabels        bool              `json:"merge_labels"`
	Faults             map[string]string `json:"faults,omitempty"`
	Links              []Link            `json:"links"`
	CreatedAt          *Timestamp        `json:"created_at"`
	UpdatedAt          *Timestamp        `json:"updated_at"`
}

// ClusterSummary is the compact view of a cluster in GET /v1/clusters.
type ClusterSummary struct {
	UUID              string            `json:"uuid"`
	Name              string            `json:"name"`
	ClusterTemplateID string            `json:"cluster_template_id"`
	Keypair           *string           `json:"keypair"`
	DockerVolumeSize  *int              `json:"docker_volume_size"`
	Labels            map[string]string `json:"labels"`
	NodeCount         int               `json:"node_count"`
	MasterCount       int               `json:"master_count"`
	Status            string            `json:"status"`
	HealthStatus      *string           `json:"health_status"`
	MasterFlavorID    *string           `json:"master_flavor_id"`
	FlavorID          *string           `json:"flavor_id"`
	CreateTimeout     int               `json:"create_timeout"`
	StackID           *string           `json:"stack_id"`
	ClusterID         *string           `json:"cluster_id,omitempty"`
	MergeLabels       bool              `json:"merge_labels"`
	Links             []Link            `json:"links"`
}

// ClusterList is a page of compact clusters.
type ClusterList struct {
	Clusters []ClusterSummary `json:"clusters"`
	Next     string           `json:"next,omitempty"`
}

// ClusterDetailList is a page of full clusters.
type ClusterDetailList struct {
	Clusters []Cluster `json:"clusters"`
	Next     string    `json:"next,omitempty"`
}

// ClusterCreate is the body of POST /v1/clusters.
type ClusterCreate struct {
	Name              *string `json:"name,omitempty"`
	ClusterTemplateID *string `json:"cluster_template_id,omitempty"`
	Keypair           *string `json:"keypair,omitempty"`
	NodeCount         *int    `json:"node_count,omitempty"`
	MasterCount       *int    `json:"master_count,omitempty"`
	CreateTimeout     *int    `json:"create_timeout,omitempty"`
	DockerVolumeSize  *int    `json:"docker_volume_size,omitempty"`
	Labels            Labels  `json:"labels,omitempty"`
	MergeLabels       *bool   `json:"merge_labels,omitempty"`
	MasterFlavorID    *string `json:"master_flavor_id,omitempty"`
	FlavorID          *string `json:"flavor_id,omitempty"`
	FixedNetwork      *string `json:"fixed_network,omitempty"`
	FixedSubnet       *string `json:"fixed_subnet,omitempty"`
	FloatingIPEnabled *bool   `json:"floating_ip_enabled,omitempty"`
	MasterLBEnabled   *bool   `json:"master_lb_enabled,omitempty"`
	DiscoveryURL      *string `json:"discovery_url,omitempty"`
}

// UUIDResponse is the body of asynchronous cluster operations.
type UUIDResponse struct {
	UUID string `json:"uuid"`
}

// PatchOp is one JSON-patch operation.
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// ResizeRequest is the body of POST /v1/clusters/{id}/actions/resize.
type ResizeRequest struct {
	NodeCount     *int     `json:"node_count"`
	NodesToRemove []string `json:"nodes_to_remove,omitempty"`
	NodeGroup     string   `json:"nodegroup,omitempty"`
}

// UpgradeRequest is the body of POST /v1/clusters/{id}/actions/upgrade.
type UpgradeRequest struct {
	ClusterTemplate string `json:"cluster_template"`
	MaxBatchSize    *int   `json:"max_batch_size,omitempty"`
	NodeGroup       string `json:"nodegroup,omitempty"`
}

// NodeGroup is the full view of a nodegroup.
type NodeGroup struct {
	ID               int64             `json:"id"`
	UUID             string            `json:"uuid"`
	Name             string            `json:"name"`
	ClusterID        string            `json:"cluster_id"`
	ProjectID        string            `json:"project_id"`
	DockerVolumeSize *int              `json:"docker_volume_size"`
	Labels           map[string]string `json:"labels"`
	LabelsOverridden map[string]string `json:"labels_overridden"`
	LabelsAdded      map[string]string `json:"labels_added"`
	LabelsSkipped    map[string]string `json:"labels_skipped"`
	FlavorID         *string           `json:"flavor_id"`
	ImageID          *string           `json:"image_id"`
	NodeAddresses    []string          `json:"node_addresses"`
	NodeCount        int               `json:"node_count"`
	Role             string            `json:"role"`
	MinNodeCount     int               `json:"min_node_count"`
	MaxNodeCount     *int              `json:"max_node_count"`
	IsDefault        bool              `json:"is_default"`
	StackID          *string           `json:"stack_id"`
	Status           string            `json:"status"`
	StatusReason     *string           `json:"status_reason"`
	Version          *string           `json:"version"`
	MergeLabels      bool              `json:"merge_labels"`
	Links            []Link            `json:"links"`
	CreatedAt        *Timestamp        `json:"created_at"`
	UpdatedAt        *Timestamp        `json:"updated_at"`
}

// NodeGroupSummary is the compact view of a nodegroup in a list.
type NodeGroupSummary struct {
	UUID         string  `json:"uuid"`
	Name         string  `json:"name"`
	FlavorID     *string `json:"flavor_id"`
	ImageID      *string `json:"image_id"`
	NodeCount    int     `json:"node_count"`
	Role         string  `json:"role"`
	IsDefault    bool    `json:"is_default"`
	Status       string  `json:"status"`
	StackID      *string `json:"stack_id"`
	MinNodeCount int     `json:"min_node_count"`
	MaxNodeCount *int    `json:"max_node_count"`
	MergeLabels  bool    `json:"merge_labels"`
}

// NodeGroupList is a page of nodegroups.
type NodeGroupList struct {
	NodeGroups []NodeGroupSummary `json:"nodegroups"`
	Next       string             `json:"next,omitempty"`
}

// NodeGroupCreate is the body of POST /v1/clusters/{id}/nodegroups.
type NodeGroupCreate struct {
	Name             *string `json:"name,omitempty"`
	DockerVolumeSize *int    `json:"docker_volume_size,omitempty"`
	Labels           Labels  `json:"labels,omitempty"`
	NodeCount        *int    `json:"node_count,omitempty"`
	MinNodeCount     *int    `json:"min_node_count,omitempty"`
	MaxNodeCount     *int    `json:"max_node_count,omitempty"`
	Role             *string `json:"role,omitempty"`
	ImageID          *string `json:"image_id,omitempty"`
	FlavorID         *string `json:"flavor_id,omitempty"`
	MergeLabels      *bool   `json:"merge_labels,omitempty"`
}

// Certificate is a cluster CA or a signed certificate.
type Certificate struct {
	ClusterUUID string `json:"cluster_uuid"`
	PEM         string `json:"pem"`
	CSR         string `json:"csr,omitempty"`
	CACertType  string `json:"ca_cert_type,omitempty"`
	Links       []Link `json:"links"`
}

// CertificateCreate is the body of POST /v1/certificates.
type CertificateCreate struct {
	ClusterUUID string `json:"cluster_uuid"`
	CSR         string `json:"csr"`
	CACertType  string `json:"ca_cert_type,omitempty"`
}

// Quota is a per-project limit.
type Quota struct {
	ID        *int64     `json:"id,omitempty"`
	ProjectID string     `json:"project_id"`
	Resource  string     `json:"resource"`
	HardLimit int        `json:"hard_limit"`
	CreatedAt *Timestamp `json:"created_at,omitempty"`
	UpdatedAt *Timestamp `json:"updated_at,omitempty"`
}

// QuotaList is a page of quotas.
type QuotaList struct {
	Quotas []Quota `json:"quotas"`
	Next   string  `json:"next,omitempty"`
}

// QuotaRequest is the body of quota create and update.
type QuotaRequest struct {
	ProjectID *string `json:"project_id,omitempty"`
	Resource  *string `json:"resource,omitempty"`
	HardLimit *int    `json:"hard_limit,omitempty"`
}

// Stats counts clusters and nodes.
type Stats struct {
	Clusters int `json:"clusters"`
	Nodes    int `json:"nodes"`
}

// MService is a Magnum service record.
type MService struct {
	ID             int        `json:"id"`
	Host           string     `json:"host"`
	Binary         string     `json:"binary"`
	State          string     `json:"state"`
	Disabled       bool       `json:"disabled"`
	DisabledReason *string    `json:"disabled_reason"`
	ReportCount    int        `json:"report_count"`
	CreatedAt      *Timestamp `json:"created_at"`
	UpdatedAt      *Timestamp `json:"updated_at"`
}

// MServiceList lists Magnum services.
type MServiceList struct {
	MServices []MService `json:"mservices"`
}
