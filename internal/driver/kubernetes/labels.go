package kubernetes

import (
	"cmp"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/slipway/slipway/internal/driver/kubernetes/netplan"
	"github.com/slipway/slipway/internal/model"
)

// Defaults of the labels this driver reads.
const (
	// DefaultKubeTag is the Kubernetes version of a cluster whose template
	// has no kube_tag label.
	DefaultKubeTag = "v1.37.2"
	// DefaultClusterDomain is the cluster DNS domain.
	DefaultClusterDomain = "cluster.local"
	// DefaultAPIPort is the API server's port.
	DefaultAPIPort = 6443
)

// label is one label this driver understands: its name, what its value
// must be, and what it is for.
type label struct {
	name  string
	help  string
	check func(v string) error
}

var (
	kubeTagRE = regexp.MustCompile(`^v1\.[0-9]+\.[0-9]+$`)
	domainRE  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$`)
)

func oneOf(vals ...string) func(string) error {
	return func(v string) error {
		if slices.Contains(vals, v) {
			return nil
		}
		return fmt.Errorf("must be one of %s", strings.Join(vals, ", "))
	}
}

func boolean(v string) error {
	if _, err := strconv.ParseBool(v); err != nil {
		return fmt.Errorf("must be true or false")
	}
	return nil
}

func cidr(v string) error {
	p, err := netip.ParsePrefix(v)
	if err != nil || !p.Addr().Is4() {
		return fmt.Errorf("must be an IPv4 CIDR such as 10.100.0.0/16")
	}
	if p.Masked() != p {
		return fmt.Errorf("has host bits set (did you mean %s?)", p.Masked())
	}
	if p.Bits() > 22 {
		return fmt.Errorf("is smaller than a /22")
	}
	return nil
}

func count(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return fmt.Errorf("must be a whole number ≥ 0")
	}
	return nil
}

// labels is every label the driver reads. Labels it does not know are
// kept and ignored, as Magnum does.
var labels = []label{
	{"kube_tag", "the Kubernetes version, such as v1.37.2", func(v string) error {
		if !kubeTagRE.MatchString(v) {
			return fmt.Errorf("must be a Kubernetes release such as %s", DefaultKubeTag)
		}
		return nil
	}},
	{"container_runtime", "the container runtime", oneOf("containerd")},
	{"cgroup_driver", "the kubelet's cgroup driver", oneOf("cgroupfs")},
	{"kube_proxy_mode", "kube-proxy's mode", oneOf("iptables")},
	{"calico_ipv4pool", "the pod range (Calico's name for it)", cidr},
	{"flannel_network_cidr", "the pod range (flannel's name for it)", cidr},
	{"pod_cidr", "the pod range", cidr},
	{"service_cluster_ip_range", "the Service range", cidr},
	{"dns_cluster_domain", "the cluster DNS domain", func(v string) error {
		if !domainRE.MatchString(v) {
			return fmt.Errorf("must be a DNS domain such as %s", DefaultClusterDomain)
		}
		return nil
	}},
	{"dns_upstream", "DNS servers CoreDNS forwards other names to (comma-separated IPs); none by default", func(v string) error {
		for _, s := range strings.Split(v, ",") {
			if _, err := netip.ParseAddr(strings.TrimSpace(s)); err != nil {
				return fmt.Errorf("must be comma-separated IP addresses")
			}
		}
		return nil
	}},
	{"auto_healing_enabled", "replace unhealthy nodes", boolean},
	{"auto_scaling_enabled", "scale nodegroups between min and max", boolean},
	{"master_lb_floating_ip_enabled", "a floating IP for the API load balancer", boolean},
	{"min_node_count", "the default nodegroup's minimum", count},
	{"max_node_count", "the default nodegroup's maximum", count},
}

// ValidateLabels checks the labels this driver reads; the error names the
// first bad label and says what its value must be.
func ValidateLabels(ls map[string]string) error {
	names := make([]string, 0, len(ls))
	for k := range ls {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, l := range labels {
			if l.name != name {
				continue
			}
			if err := l.check(ls[name]); err != nil {
				return model.Invalidf("Label %s=%q is invalid: %s (%s).", name, ls[name], err.Error(), l.help)
			}
		}
	}
	return nil
}

// config is a cluster's settings, from its template and its own fields,
// labels merged (the cluster's over the template's).
type config struct {
	KubeTag       string
	PodCIDR       string
	ServiceCIDR   string
	FixedCIDR     string
	ClusterDomain string
	DNSUpstream   []string
	APIPort       int
	Image         string
	MasterFlavor  string
	WorkerFlavor  string
	ExternalNet   string
	FloatingIP    bool
	MasterLB      bool
	MasterCount   int
	// NodeTemplate is an operator's node template, "" for the embedded.
	NodeTemplate string
}

// mergedLabels is the cluster's labels: the API made them from the
// template's (merged or replaced, as the request asked); a cluster made
// without labels has the template's.
func mergedLabels(c *model.Cluster, t *model.ClusterTemplate) map[string]string {
	if c.Labels != nil {
		return c.Labels
	}
	return t.Labels
}

// configOf works out a cluster's settings. Errors are model.Invalidf.
// fixedNet is the cluster network's range.
func (c *config) fixedNet() netip.Prefix {
	return netip.MustParsePrefix(c.FixedCIDR).Masked()
}

func configOf(c *model.Cluster, t *model.ClusterTemplate) (*config, error) {
	ls := mergedLabels(c, t)
	if err := ValidateLabels(ls); err != nil {
		return nil, err
	}
	cfg := &config{
		KubeTag:       ls["kube_tag"],
		ServiceCIDR:   ls["service_cluster_ip_range"],
		ClusterDomain: ls["dns_cluster_domain"],
		APIPort:       DefaultAPIPort,
		Image:         t.ImageID,
		MasterFlavor:  cmp.Or(c.MasterFlavorID, t.MasterFlavorID, t.FlavorID),
		WorkerFlavor:  cmp.Or(c.FlavorID, t.FlavorID),
		ExternalNet:   cmp.Or(t.ExternalNetworkID, "public"),
		FloatingIP:    c.FloatingIPEnabled,
		MasterLB:      c.MasterLBEnabled,
		MasterCount:   c.MasterCount,
		FixedCIDR:     netplan.DefaultFixedCIDR,
	}
	if cfg.KubeTag == "" {
		cfg.KubeTag = DefaultKubeTag
	}
	cfg.PodCIDR = cmp.Or(ls["pod_cidr"], ls["calico_ipv4pool"], ls["flannel_network_cidr"], netplan.DefaultPodCIDR)
	if cfg.ServiceCIDR == "" {
		cfg.ServiceCIDR = netplan.DefaultServiceCIDR
	}
	if cfg.ClusterDomain == "" {
		cfg.ClusterDomain = DefaultClusterDomain
	}
	if t.APIServerPort != nil && *t.APIServerPort > 0 {
		cfg.APIPort = *t.APIServerPort
	}
	if up := ls["dns_upstream"]; up != "" {
		for _, s := range strings.Split(up, ",") {
			cfg.DNSUpstream = append(cfg.DNSUpstream, strings.TrimSpace(s))
		}
	}
	if cfg.MasterCount < 1 {
		cfg.MasterCount = 1
	}
	if cfg.MasterCount > 1 && !cfg.MasterLB {
		return nil, model.Invalidf("A cluster with %d masters needs master_lb_enabled: workers reach the API through its load balancer.", cfg.MasterCount)
	}
	if cfg.Image == "" {
		return nil, model.Invalidf("The cluster template has no image; use the provider's image (slipway-node on the local provider).")
	}
	if cfg.WorkerFlavor == "" || cfg.MasterFlavor == "" {
		return nil, model.Invalidf("The cluster template has no flavor; set --flavor and --master-flavor.")
	}
	return cfg, nil
}
