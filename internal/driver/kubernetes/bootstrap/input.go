package bootstrap

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/slipway/slipway/internal/node"
)

// Role is what a machine is in its cluster.
type Role string

// Roles.
const (
	// RoleMaster runs etcd, kube-apiserver, kube-controller-manager and
	// kube-scheduler.
	RoleMaster Role = "master"
	// RoleWorker runs containerd, kubelet and kube-proxy, with the CNI
	// bridge on the node's pod CIDR.
	RoleWorker Role = "worker"
)

// ErrInvalidInput wraps every validation error of Render.
var ErrInvalidInput = errors.New("invalid bootstrap input")

// Member is one master: its name (the etcd member name) and its address.
type Member struct {
	Name string
	IP   string
}

// Binaries are the absolute paths of the artifact binaries inside the
// machine, as artifacts.Manifest.Binary returns them (the cache is bound
// into every machine at the same path). Masters need Etcd and the three
// control-plane commands; workers need Containerd, Runc, Kubelet, KubeProxy
// and CNIBinDir.
type Binaries struct {
	Etcd                  string
	KubeAPIServer         string
	KubeControllerManager string
	KubeScheduler         string
	Kubelet               string
	KubeProxy             string
	Containerd            string
	Runc                  string
	// CNIBinDir holds the bridge, host-local, loopback and portmap plugins.
	CNIBinDir string
}

// KeyPair is a PEM certificate and its PEM private key.
type KeyPair struct {
	Cert string
	Key  string
}

// ServiceAccountKeys is the key pair that signs and verifies service-account
// tokens, both in PEM.
type ServiceAccountKeys struct {
	PublicKey  string
	PrivateKey string
}

// PKI is every PEM material the driver issued for this machine with
// internal/pki. Render only embeds it; which certificate carries which SANs
// is the driver's business (docs/design/kubernetes-driver.md). Fields a role
// does not use must be empty, so that no key lands on a machine that has no
// use for it.
type PKI struct {
	// CACert is the Kubernetes CA certificate (every role).
	CACert string
	// CAKey is the Kubernetes CA key: the controller-manager signs kubelet
	// CSRs with it (masters only).
	CAKey string
	// EtcdCACert is the etcd CA certificate (masters).
	EtcdCACert string
	// FrontProxyCACert is the front-proxy (request-header) CA (masters).
	FrontProxyCACert string

	// Master material.
	EtcdServer             KeyPair
	EtcdPeer               KeyPair
	APIServer              KeyPair
	APIServerEtcdClient    KeyPair
	APIServerKubeletClient KeyPair
	FrontProxyClient       KeyPair
	ControllerManager      KeyPair
	// ControllerManagerIsMaster says ControllerManager is in
	// system:masters: the controllers then share its credential instead
	// of each getting a service account and token at start.
	ControllerManagerIsMaster bool
	Scheduler                 KeyPair
	ServiceAccount            ServiceAccountKeys

	// Worker material.
	Kubelet        KeyPair // client: CN system:node:<name>, O system:nodes
	KubeletServing KeyPair // server: IP SAN the node IP
	KubeProxy      KeyPair // client: CN system:kube-proxy
}

// Input is everything Render needs to know about one machine of a cluster.
type Input struct {
	// ClusterName names the cluster in kubeconfigs and is the etcd cluster
	// token.
	ClusterName string
	// KubernetesVersion is the cluster's kube_tag, such as "v1.37.2".
	KubernetesVersion string
	// ContainerdVersion selects the containerd config schema: "2.4.2" gives
	// version = 4, 2.0 to 2.3 give 3 (workers only).
	ContainerdVersion string
	Role              Role
	// NodeName is the machine's hostname, its Kubernetes node name and, on
	// masters, its etcd member name.
	NodeName string
	// NodeIP is the machine's primary IPv4 address.
	NodeIP string
	// Masters lists every master, this one included on a master.
	Masters []Member
	// APIAddress and APIPort are where workers reach the API: the API load
	// balancer's VIP, or the single master.
	APIAddress string
	APIPort    int
	// ServiceCIDR is the Service IP range (--service-cluster-ip-range).
	ServiceCIDR string
	// ClusterPodCIDR is the cluster's whole pod range (kube-proxy's
	// clusterCIDR).
	ClusterPodCIDR string
	// PodCIDR is this worker's range, carved by the driver from
	// ClusterPodCIDR and also set as Node.spec.podCIDR.
	PodCIDR string
	// ClusterDNS is the kube-dns Service IP, inside ServiceCIDR.
	ClusterDNS string
	// ClusterDomain defaults to cluster.local.
	ClusterDomain string
	// CgroupRoot is the kubelet's cgroupRoot: the machine's own cgroup
	// (<slipway root>/<machine id>), never shared with another kubelet.
	// CgroupRootOfMachine has the machine find it at boot, for documents
	// rendered before the machine (and so its cgroup) exists.
	CgroupRoot string
	// RegistryMirror is Slipway's registry, such as http://10.0.0.1:5000;
	// containerd uses it for registry.k8s.io and docker.io and for nothing
	// else.
	RegistryMirror string
	// RestrictOOMScoreAdj sets containerd's restrict_oom_score_adj; the
	// driver sets it when the host withholds CAP_SYS_RESOURCE.
	RestrictOOMScoreAdj bool
	// ProtectKernelDefaults is the kubelet's protectKernelDefaults. Leave it
	// false unless the machine's shadowed kernel tunables already hold
	// kubelet's values: with false kubelet writes them, into the machine's
	// shadow files only.
	ProtectKernelDefaults bool
	Binaries              Binaries
	PKI                   PKI
	// Signal is the WaitCondition handle the agent tells once every
	// service is ready; optional.
	Signal *node.Endpoint
}

var (
	versionRE = regexp.MustCompile(`^v1\.([0-9]+)\.[0-9]+$`)
	// A DNS-1123 label: the node name is a hostname, an etcd member name
	// and part of a certificate CN.
	nameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	hostRE = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9.]{0,251}[A-Za-z0-9])?$`)
)

// CgroupRootOfMachine, as Input.CgroupRoot, makes the worker read its
// machine's cgroup from /proc/self/cgroup at every boot (the parent of the
// cgroup the agent runs in) and give it to kubelet in a drop-in
// configuration file.
const CgroupRootOfMachine = "machine"

// MinKubernetesMinor is the oldest Kubernetes minor Render knows: failCgroupV1
// and an explicit kube-proxy mode are what v1.35+ need, and older
// releases are not built by the artifacts cache.
const MinKubernetesMinor = 34

type checker struct{ errs []error }

func (c *checker) add(field, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
}

func (c *checker) required(field, v string) bool {
	if strings.TrimSpace(v) == "" {
		c.add(field, "is required")
		return false
	}
	return true
}

func (c *checker) ipv4(field, v string) netip.Addr {
	if !c.required(field, v) {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(v)
	if err != nil || !a.Is4() {
		c.add(field, "%q is not an IPv4 address", v)
		return netip.Addr{}
	}
	return a
}

func (c *checker) prefix(field, v string) netip.Prefix {
	if !c.required(field, v) {
		return netip.Prefix{}
	}
	p, err := netip.ParsePrefix(v)
	if err != nil || !p.Addr().Is4() {
		c.add(field, "%q is not an IPv4 CIDR", v)
		return netip.Prefix{}
	}
	if p.Masked() != p {
		c.add(field, "%q has host bits set (did you mean %s?)", v, p.Masked())
		return netip.Prefix{}
	}
	return p
}

func (c *checker) binary(field, v string) {
	if !c.required(field, v) {
		return
	}
	if !path.IsAbs(v) || path.Clean(v) != v {
		c.add(field, "%q is not a clean absolute path", v)
	} else if strings.ContainsAny(v, "\"\\\n ,") {
		c.add(field, "%q holds a quote, backslash, comma, space or newline", v)
	}
}

func (c *checker) pem(field, v, kind string) {
	if !c.required(field, v) {
		return
	}
	if !strings.Contains(v, "-----BEGIN ") || !strings.Contains(v, kind) {
		c.add(field, "is not a PEM %s", strings.ToLower(kind))
	}
}

func (c *checker) pair(field string, kp KeyPair) {
	c.pem(field+".Cert", kp.Cert, "CERTIFICATE")
	c.pem(field+".Key", kp.Key, "PRIVATE KEY")
}

func (c *checker) absent(field string, set bool) {
	if set {
		c.add(field, "must be empty on this role")
	}
}

// containerdSchema is the config version a containerd release reads
// natively: 4 from 2.4 on, 3 for 2.0 to 2.3.
func containerdSchema(v string) (int, error) {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return 0, fmt.Errorf("%q is not a containerd version such as 2.4.2", v)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%q is not a containerd version such as 2.4.2", v)
	}
	switch {
	case major < 2:
		return 0, fmt.Errorf("%q: containerd 1.x is not supported for Kubernetes ≥ 1.35", v)
	case major == 2 && minor < 4:
		return 3, nil
	default:
		return 4, nil
	}
}

// validate checks in and returns the parsed facts Render uses.
func (in *Input) validate() (facts, error) {
	var c checker
	var f facts
	if c.required("ClusterName", in.ClusterName) && !nameRE.MatchString(in.ClusterName) {
		c.add("ClusterName", "%q is not a DNS label", in.ClusterName)
	}
	if c.required("KubernetesVersion", in.KubernetesVersion) {
		m := versionRE.FindStringSubmatch(in.KubernetesVersion)
		if m == nil {
			c.add("KubernetesVersion", "%q is not a release such as v1.37.2", in.KubernetesVersion)
		} else if minor, _ := strconv.Atoi(m[1]); minor < MinKubernetesMinor {
			c.add("KubernetesVersion", "%s is older than v1.%d", in.KubernetesVersion, MinKubernetesMinor)
		}
	}
	if c.required("NodeName", in.NodeName) && !nameRE.MatchString(in.NodeName) {
		c.add("NodeName", "%q is not a DNS label", in.NodeName)
	}
	f.nodeIP = c.ipv4("NodeIP", in.NodeIP)
	if c.required("APIAddress", in.APIAddress) {
		if _, err := netip.ParseAddr(in.APIAddress); err != nil && !hostRE.MatchString(in.APIAddress) {
			c.add("APIAddress", "%q is neither an IP address nor a host name", in.APIAddress)
		}
	}
	if in.APIPort < 1 || in.APIPort > 65535 {
		c.add("APIPort", "%d is not a TCP port", in.APIPort)
	}
	svc := c.prefix("ServiceCIDR", in.ServiceCIDR)
	if svc.IsValid() {
		if dns := c.ipv4("ClusterDNS", in.ClusterDNS); dns.IsValid() && !svc.Contains(dns) {
			c.add("ClusterDNS", "%s is outside ServiceCIDR %s", dns, svc)
		}
	}
	cluster := c.prefix("ClusterPodCIDR", in.ClusterPodCIDR)
	if cluster.IsValid() && svc.IsValid() && cluster.Overlaps(svc) {
		c.add("ClusterPodCIDR", "%s overlaps ServiceCIDR %s", cluster, svc)
	}
	f.domain = in.ClusterDomain
	if f.domain == "" {
		f.domain = "cluster.local"
	}
	if len(in.Masters) == 0 {
		c.add("Masters", "at least one master is required")
	}
	seen := map[string]bool{}
	for i, m := range in.Masters {
		field := fmt.Sprintf("Masters[%d]", i)
		if !nameRE.MatchString(m.Name) {
			c.add(field+".Name", "%q is not a DNS label", m.Name)
		}
		if seen[m.Name] {
			c.add(field+".Name", "%q is listed twice", m.Name)
		}
		seen[m.Name] = true
		c.ipv4(field+".IP", m.IP)
		if m.Name == in.NodeName {
			f.self = true
			if m.IP != in.NodeIP {
				c.add(field+".IP", "%s differs from NodeIP %s", m.IP, in.NodeIP)
			}
		}
	}
	if in.Signal != nil && in.Signal.URL == "" {
		c.add("Signal.URL", "is required when Signal is set")
	}

	b, p := in.Binaries, in.PKI
	c.pem("PKI.CACert", p.CACert, "CERTIFICATE")
	// Workers, and masters given a pod range, run a kubelet.
	registers := in.Role == RoleWorker || (in.Role == RoleMaster && in.PodCIDR != "")
	switch in.Role {
	case RoleMaster:
		if len(in.Masters) > 0 && !f.self {
			c.add("Masters", "does not list this node %q", in.NodeName)
		}
		c.binary("Binaries.Etcd", b.Etcd)
		c.binary("Binaries.KubeAPIServer", b.KubeAPIServer)
		c.binary("Binaries.KubeControllerManager", b.KubeControllerManager)
		c.binary("Binaries.KubeScheduler", b.KubeScheduler)
		c.pem("PKI.CAKey", p.CAKey, "PRIVATE KEY")
		c.pem("PKI.EtcdCACert", p.EtcdCACert, "CERTIFICATE")
		c.pem("PKI.FrontProxyCACert", p.FrontProxyCACert, "CERTIFICATE")
		c.pair("PKI.EtcdServer", p.EtcdServer)
		c.pair("PKI.EtcdPeer", p.EtcdPeer)
		c.pair("PKI.APIServer", p.APIServer)
		c.pair("PKI.APIServerEtcdClient", p.APIServerEtcdClient)
		c.pair("PKI.APIServerKubeletClient", p.APIServerKubeletClient)
		c.pair("PKI.FrontProxyClient", p.FrontProxyClient)
		c.pair("PKI.ControllerManager", p.ControllerManager)
		c.pair("PKI.Scheduler", p.Scheduler)
		c.pem("PKI.ServiceAccount.PublicKey", p.ServiceAccount.PublicKey, "PUBLIC KEY")
		c.pem("PKI.ServiceAccount.PrivateKey", p.ServiceAccount.PrivateKey, "PRIVATE KEY")
		if !registers {
			c.absent("PKI.Kubelet", p.Kubelet != (KeyPair{}))
			c.absent("PKI.KubeletServing", p.KubeletServing != (KeyPair{}))
			c.absent("PKI.KubeProxy", p.KubeProxy != (KeyPair{}))
		}
	case RoleWorker:
		if f.self {
			c.add("NodeName", "%q is a worker but is listed in Masters", in.NodeName)
		}
		c.absent("PKI.CAKey", p.CAKey != "")
		c.absent("PKI.ServiceAccount", p.ServiceAccount != (ServiceAccountKeys{}))
		c.absent("PKI.EtcdServer", p.EtcdServer != (KeyPair{}))
		c.absent("PKI.EtcdPeer", p.EtcdPeer != (KeyPair{}))
		c.absent("PKI.APIServer", p.APIServer != (KeyPair{}))
	default:
		c.add("Role", "%q is not %q or %q", in.Role, RoleMaster, RoleWorker)
	}
	if registers {
		if c.required("ContainerdVersion", in.ContainerdVersion) {
			v, err := containerdSchema(in.ContainerdVersion)
			if err != nil {
				c.add("ContainerdVersion", "%v", err)
			}
			f.containerdSchema = v
		}
		f.podCIDR = c.prefix("PodCIDR", in.PodCIDR)
		if f.podCIDR.IsValid() && cluster.IsValid() &&
			(!cluster.Contains(f.podCIDR.Addr()) || f.podCIDR.Bits() < cluster.Bits()) {
			c.add("PodCIDR", "%s is not inside ClusterPodCIDR %s", f.podCIDR, cluster)
		}
		if f.podCIDR.IsValid() && f.podCIDR.Bits() > 30 {
			c.add("PodCIDR", "%s is too small for pods", f.podCIDR)
		}
		if in.CgroupRoot != CgroupRootOfMachine && c.required("CgroupRoot", in.CgroupRoot) && (!path.IsAbs(in.CgroupRoot) || path.Clean(in.CgroupRoot) != in.CgroupRoot || in.CgroupRoot == "/") {
			c.add("CgroupRoot", "%q is not a clean absolute cgroup path below /", in.CgroupRoot)
		}
		if c.required("RegistryMirror", in.RegistryMirror) &&
			!strings.HasPrefix(in.RegistryMirror, "http://") && !strings.HasPrefix(in.RegistryMirror, "https://") {
			c.add("RegistryMirror", "%q is not an http(s) URL", in.RegistryMirror)
		} else if strings.ContainsAny(in.RegistryMirror, "\"\n\\ ") {
			c.add("RegistryMirror", "%q holds characters a TOML string cannot take verbatim", in.RegistryMirror)
		}
		c.binary("Binaries.Containerd", b.Containerd)
		c.binary("Binaries.Runc", b.Runc)
		c.binary("Binaries.Kubelet", b.Kubelet)
		c.binary("Binaries.KubeProxy", b.KubeProxy)
		c.binary("Binaries.CNIBinDir", b.CNIBinDir)
		c.pair("PKI.Kubelet", p.Kubelet)
		c.pair("PKI.KubeletServing", p.KubeletServing)
		c.pair("PKI.KubeProxy", p.KubeProxy)
	}
	if len(c.errs) > 0 {
		return facts{}, fmt.Errorf("%w: %w", ErrInvalidInput, errors.Join(c.errs...))
	}
	return f, nil
}

// facts are the values validate parsed.
type facts struct {
	nodeIP           netip.Addr
	podCIDR          netip.Prefix
	domain           string
	self             bool
	containerdSchema int
}
