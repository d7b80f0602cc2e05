// Package bootstrap renders the `slipway_bootstrap: v1` document that turns a
// machine booted by `slipway node` into a Kubernetes master or worker.
//
// Render is a pure function: no I/O, no clock, no randomness. The driver
// issues the certificates (internal/pki), picks the addresses and the node's
// pod CIDR, resolves the artifact paths (artifacts.Manifest.Binary), and puts
// Documents.UserData into the OS::Nova::Server's user_data. The output is
// pinned by the golden files under testdata/.
//
// What the documents encode, and why, is in docs/design/kubernetes-driver.md;
// every trap of the manual bring-up (FINDINGS.md) that a node's own
// configuration can handle is handled here.
package bootstrap

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/slipway/slipway/internal/node"
)

// PauseImage is the pinned sandbox image (kubeadm v1.36/v1.37 PauseVersion),
// served by Slipway's registry as the mirror of registry.k8s.io.
const PauseImage = "registry.k8s.io/pause:3.10.2"

// MirroredRegistries are the upstream registries whose pulls containerd
// sends to Slipway, and only to Slipway.
var MirroredRegistries = []string{"docker.io", "registry.k8s.io"}

// Paths inside the machine. /etc is the machine's own overlay and /var/lib
// its own disk, so the defaults of every component can stay.
const (
	PKIDir            = "/etc/kubernetes/pki"
	KubeletConfigPath = "/etc/kubernetes/kubelet.yaml"
	KubeletConfigDir  = "/etc/kubernetes/kubelet.conf.d"
	// ControlPlaneTaint keeps ordinary pods off masters.
	ControlPlaneTaint   = "node-role.kubernetes.io/control-plane"
	KubeProxyConfigPath = "/etc/kubernetes/kube-proxy.yaml"
	ContainerdConfig    = "/etc/containerd/config.toml"
	ContainerdCertsDir  = "/etc/containerd/certs.d"
	ContainerdSocket    = "/run/containerd/containerd.sock"
	CNIConfDir          = "/etc/cni/net.d"
	CNIConfPath         = CNIConfDir + "/10-slipway.conflist"
	EtcdDataDir         = "/var/lib/etcd"
)

// Service names in the document (and in the agent's status).
const (
	SvcEtcd              = "etcd"
	SvcAPIServer         = "kube-apiserver"
	SvcControllerManager = "kube-controller-manager"
	SvcScheduler         = "kube-scheduler"
	SvcContainerd        = "containerd"
	SvcKubelet           = "kubelet"
	SvcKubeProxy         = "kube-proxy"
	// SvcAPIWait is ready once the cluster's API is: what a worker's
	// kube-proxy waits for.
	SvcAPIWait = "api-ready"
)

// Documents is what Render returns for one machine.
type Documents struct {
	// Bootstrap is the agent's document, as structured data.
	Bootstrap *node.Bootstrap
	// UserData is Bootstrap as YAML: the server's user_data. It parses with
	// node.ParseBootstrap.
	UserData []byte
}

// Render returns the bootstrap document of one machine. It validates in
// first; the error then wraps ErrInvalidInput and names every bad field.
func Render(in Input) (Documents, error) {
	f, err := in.validate()
	if err != nil {
		return Documents{}, err
	}
	r := renderer{in: in, f: f}
	b := &node.Bootstrap{
		Version:  node.BootstrapVersion,
		Hostname: in.NodeName,
		Signal:   in.Signal,
	}
	switch in.Role {
	case RoleMaster:
		err = r.master(b)
		if err == nil && in.PodCIDR != "" {
			// A master registers as a tainted node: its own kubelet.
			err = r.worker(b)
		}
	default:
		err = r.worker(b)
	}
	if err != nil {
		return Documents{}, err
	}
	data, err := yaml.Marshal(b)
	if err != nil {
		return Documents{}, fmt.Errorf("bootstrap: marshal: %w", err)
	}
	// The agent is the judge of its own format.
	if _, err := node.ParseBootstrap(data); err != nil {
		return Documents{}, fmt.Errorf("bootstrap: rendered an invalid document: %w", err)
	}
	return Documents{Bootstrap: b, UserData: data}, nil
}

type renderer struct {
	in Input
	f  facts
}

func pkiPath(name string) string { return PKIDir + "/" + name }

func file(path, content string, mode node.FileMode) node.WriteFile {
	return node.WriteFile{Path: path, Content: content, Permissions: mode}
}

// pair writes a certificate (0644) and its key (0600) as name.crt and
// name.key under PKIDir.
func pair(name string, kp KeyPair) []node.WriteFile {
	return []node.WriteFile{
		file(pkiPath(name+".crt"), kp.Cert, 0o644),
		file(pkiPath(name+".key"), kp.Key, 0o600),
	}
}

func dur(d time.Duration) node.Duration { return node.Duration(d) }

// restart is the policy of every Kubernetes service: quick first retries
// (an early exit is usually a dependency not up yet), capped back-off.
var restart = node.RestartPolicy{
	Policy:     node.RestartAlways,
	Backoff:    dur(200 * time.Millisecond),
	MaxBackoff: dur(10 * time.Second),
	ResetAfter: dur(time.Minute),
}

func httpProbe(url string) *node.Probe {
	return &node.Probe{HTTP: url, Period: dur(250 * time.Millisecond), Timeout: dur(2 * time.Second)}
}

func (r *renderer) url(host string, port int) string {
	return "https://" + hostPort(host, port)
}

func hostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(port)
}

// ---- kubeconfig ----------------------------------------------------------

type kubeconfig struct {
	APIVersion     string          `json:"apiVersion"`
	Kind           string          `json:"kind"`
	Clusters       []namedCluster  `json:"clusters"`
	Users          []namedUser     `json:"users"`
	Contexts       []namedContext  `json:"contexts"`
	CurrentContext string          `json:"current-context"`
	Preferences    map[string]bool `json:"preferences"`
}

type namedCluster struct {
	Name    string `json:"name"`
	Cluster struct {
		Server string `json:"server"`
		CAData string `json:"certificate-authority-data"`
	} `json:"cluster"`
}

type namedUser struct {
	Name string `json:"name"`
	User struct {
		CertData string `json:"client-certificate-data"`
		KeyData  string `json:"client-key-data"`
	} `json:"user"`
}

type namedContext struct {
	Name    string `json:"name"`
	Context struct {
		Cluster string `json:"cluster"`
		User    string `json:"user"`
	} `json:"context"`
}

// kubeconfig renders a client-certificate kubeconfig for one component.
// (pki.Kubeconfig parses the pair; Render only embeds.)
func (r *renderer) kubeconfig(user, server string, kp KeyPair) (string, error) {
	b64 := base64.StdEncoding.EncodeToString
	k := kubeconfig{APIVersion: "v1", Kind: "Config", CurrentContext: "default", Preferences: map[string]bool{}}
	var c namedCluster
	c.Name = r.in.ClusterName
	c.Cluster.Server = server
	c.Cluster.CAData = b64([]byte(r.in.PKI.CACert))
	var u namedUser
	u.Name = user
	u.User.CertData = b64([]byte(kp.Cert))
	u.User.KeyData = b64([]byte(kp.Key))
	var x namedContext
	x.Name = "default"
	x.Context.Cluster = r.in.ClusterName
	x.Context.User = user
	k.Clusters, k.Users, k.Contexts = []namedCluster{c}, []namedUser{u}, []namedContext{x}
	data, err := yaml.Marshal(k)
	if err != nil {
		return "", fmt.Errorf("bootstrap: kubeconfig for %s: %w", user, err)
	}
	return string(data), nil
}

// ---- masters -------------------------------------------------------------

const (
	apiServerPort = 6443
	etcdClient    = 2379
	etcdPeer      = 2380
	etcdMetrics   = 2381
	kcmPort       = 10257
	schedulerPort = 10259
)

func (r *renderer) master(b *node.Bootstrap) error {
	in, p := r.in, r.in.PKI
	ip := in.NodeIP
	local := r.url("127.0.0.1", apiServerPort)
	kcmKubeconfig, err := r.kubeconfig("system:kube-controller-manager", local, p.ControllerManager)
	if err != nil {
		return err
	}
	schedKubeconfig, err := r.kubeconfig("system:kube-scheduler", local, p.Scheduler)
	if err != nil {
		return err
	}
	b.WriteFiles = append(b.WriteFiles,
		file(pkiPath("ca.crt"), p.CACert, 0o644),
		file(pkiPath("ca.key"), p.CAKey, 0o600),
		file(pkiPath("etcd/ca.crt"), p.EtcdCACert, 0o644),
		file(pkiPath("front-proxy-ca.crt"), p.FrontProxyCACert, 0o644),
		file(pkiPath("sa.pub"), p.ServiceAccount.PublicKey, 0o644),
		file(pkiPath("sa.key"), p.ServiceAccount.PrivateKey, 0o600),
	)
	for _, kp := range []struct {
		name string
		kp   KeyPair
	}{
		{"etcd/server", p.EtcdServer},
		{"etcd/peer", p.EtcdPeer},
		{"apiserver", p.APIServer},
		{"apiserver-etcd-client", p.APIServerEtcdClient},
		{"apiserver-kubelet-client", p.APIServerKubeletClient},
		{"front-proxy-client", p.FrontProxyClient},
	} {
		b.WriteFiles = append(b.WriteFiles, pair(kp.name, kp.kp)...)
	}
	b.WriteFiles = append(b.WriteFiles,
		file("/etc/kubernetes/controller-manager.kubeconfig", kcmKubeconfig, 0o600),
		file("/etc/kubernetes/scheduler.kubeconfig", schedKubeconfig, 0o600),
	)
	b.Commands = append(b.Commands, node.BootstrapCommand{
		Name: "etcd-data-dir",
		Run:  []string{"mkdir", "-p", "-m", "0700", EtcdDataDir},
	})

	// etcd: TLS for clients and peers (a multi-master cluster talks over the
	// cluster network), plain HTTP metrics on loopback for the probe.
	// --initial-cluster* are ignored once the data dir exists, so a reboot
	// rejoins the same cluster.
	var initial []string
	for _, m := range in.Masters {
		initial = append(initial, m.Name+"="+r.url(m.IP, etcdPeer))
	}
	etcd := node.Service{
		Name:    SvcEtcd,
		Command: in.Binaries.Etcd,
		Args: []string{
			"--name=" + in.NodeName,
			"--data-dir=" + EtcdDataDir,
			"--listen-client-urls=" + r.url("127.0.0.1", etcdClient) + "," + r.url(ip, etcdClient),
			"--advertise-client-urls=" + r.url(ip, etcdClient),
			"--listen-peer-urls=" + r.url(ip, etcdPeer),
			"--initial-advertise-peer-urls=" + r.url(ip, etcdPeer),
			"--initial-cluster=" + strings.Join(initial, ","),
			"--initial-cluster-state=new",
			"--initial-cluster-token=" + in.ClusterName,
			"--listen-metrics-urls=http://127.0.0.1:" + strconv.Itoa(etcdMetrics),
			"--client-cert-auth=true",
			"--trusted-ca-file=" + pkiPath("etcd/ca.crt"),
			"--cert-file=" + pkiPath("etcd/server.crt"),
			"--key-file=" + pkiPath("etcd/server.key"),
			"--peer-client-cert-auth=true",
			"--peer-trusted-ca-file=" + pkiPath("etcd/ca.crt"),
			"--peer-cert-file=" + pkiPath("etcd/peer.crt"),
			"--peer-key-file=" + pkiPath("etcd/peer.key"),
			"--quota-backend-bytes=2147483648",
			"--snapshot-count=10000",
			"--log-level=warn",
		},
		Restart:   restart,
		Readiness: httpProbe("http://127.0.0.1:" + strconv.Itoa(etcdMetrics) + "/health"),
	}
	if len(in.Masters) == 1 {
		// A lone member elects itself after one election timeout: 100ms
		// instead of etcd's 1s. There are no peers to miss heartbeats.
		etcd.Args = append(etcd.Args, "--heartbeat-interval=20", "--election-timeout=100")
	}

	apiserver := node.Service{
		Name:    SvcAPIServer,
		Command: in.Binaries.KubeAPIServer,
		Args: []string{
			"--advertise-address=" + ip,
			"--bind-address=0.0.0.0",
			"--secure-port=" + strconv.Itoa(apiServerPort),
			"--etcd-servers=" + r.url("127.0.0.1", etcdClient),
			"--etcd-cafile=" + pkiPath("etcd/ca.crt"),
			"--etcd-certfile=" + pkiPath("apiserver-etcd-client.crt"),
			"--etcd-keyfile=" + pkiPath("apiserver-etcd-client.key"),
			"--service-cluster-ip-range=" + in.ServiceCIDR,
			"--service-account-issuer=https://kubernetes.default.svc." + r.f.domain,
			"--service-account-key-file=" + pkiPath("sa.pub"),
			"--service-account-signing-key-file=" + pkiPath("sa.key"),
			"--client-ca-file=" + pkiPath("ca.crt"),
			"--tls-cert-file=" + pkiPath("apiserver.crt"),
			"--tls-private-key-file=" + pkiPath("apiserver.key"),
			"--kubelet-client-certificate=" + pkiPath("apiserver-kubelet-client.crt"),
			"--kubelet-client-key=" + pkiPath("apiserver-kubelet-client.key"),
			"--kubelet-certificate-authority=" + pkiPath("ca.crt"),
			// Nodes' names resolve nowhere: dial kubelets by InternalIP (FINDINGS §5.8).
			"--kubelet-preferred-address-types=InternalIP,Hostname",
			"--requestheader-client-ca-file=" + pkiPath("front-proxy-ca.crt"),
			"--requestheader-allowed-names=front-proxy-client",
			"--requestheader-username-headers=X-Remote-User",
			"--requestheader-group-headers=X-Remote-Group",
			"--requestheader-extra-headers-prefix=X-Remote-Extra-",
			"--proxy-client-cert-file=" + pkiPath("front-proxy-client.crt"),
			"--proxy-client-key-file=" + pkiPath("front-proxy-client.key"),
			"--authorization-mode=Node,RBAC",
			"--enable-admission-plugins=NodeRestriction",
			"--allow-privileged=true",
			"--profiling=false",
			"--v=1",
		},
		After:   []string{SvcEtcd},
		Restart: restart,
		// /readyz includes poststarthook/rbac/bootstrap-roles, and it is
		// readable anonymously (system:public-info-viewer).
		Readiness: httpProbe(r.url("127.0.0.1", apiServerPort) + "/readyz"),
	}

	// The controller-manager and the scheduler start only once /readyz
	// answers (After: kube-apiserver, whose readiness is /readyz): on v1.37
	// an early controller-manager exits on an RBAC "forbidden" (FINDINGS §9).
	// Node CIDRs are assigned by the driver, not by the controller-manager.
	kcmKC := "/etc/kubernetes/controller-manager.kubeconfig"
	kcm := node.Service{
		Name:    SvcControllerManager,
		Command: in.Binaries.KubeControllerManager,
		Args: []string{
			"--kubeconfig=" + kcmKC,
			"--authentication-kubeconfig=" + kcmKC,
			"--authorization-kubeconfig=" + kcmKC,
			"--bind-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(kcmPort),
			"--leader-elect=" + strconv.FormatBool(len(in.Masters) > 1),
			"--allocate-node-cidrs=false",
			// The node lifecycle controller lifts a new node's not-ready
			// taint on its next pass: every second rather than every 5 s,
			// so that pods schedule as soon as nodes are Ready.
			"--node-monitor-period=1s",
			"--service-cluster-ip-range=" + in.ServiceCIDR,
			"--cluster-name=" + in.ClusterName,
			"--cluster-signing-cert-file=" + pkiPath("ca.crt"),
			"--cluster-signing-key-file=" + pkiPath("ca.key"),
			"--root-ca-file=" + pkiPath("ca.crt"),
			"--service-account-private-key-file=" + pkiPath("sa.key"),
			"--use-service-account-credentials=" + strconv.FormatBool(!in.PKI.ControllerManagerIsMaster),
			"--v=1",
		},
		After:     []string{SvcAPIServer},
		Restart:   restart,
		Readiness: httpProbe(r.url("127.0.0.1", kcmPort) + "/healthz"),
	}
	schedKC := "/etc/kubernetes/scheduler.kubeconfig"
	sched := node.Service{
		Name:    SvcScheduler,
		Command: in.Binaries.KubeScheduler,
		Args: []string{
			"--kubeconfig=" + schedKC,
			"--authentication-kubeconfig=" + schedKC,
			"--authorization-kubeconfig=" + schedKC,
			"--bind-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(schedulerPort),
			"--leader-elect=" + strconv.FormatBool(len(in.Masters) > 1),
			"--v=1",
		},
		After:     []string{SvcAPIServer},
		Restart:   restart,
		Readiness: httpProbe(r.url("127.0.0.1", schedulerPort) + "/healthz"),
	}
	b.Services = []node.Service{etcd, apiserver, kcm, sched}
	return nil
}

// ---- workers -------------------------------------------------------------

func (r *renderer) worker(b *node.Bootstrap) error {
	in, p := r.in, r.in.PKI
	server := r.url(in.APIAddress, in.APIPort)
	kubeletKC, err := r.kubeconfig("system:node:"+in.NodeName, server, p.Kubelet)
	if err != nil {
		return err
	}
	proxyKC, err := r.kubeconfig("system:kube-proxy", server, p.KubeProxy)
	if err != nil {
		return err
	}
	kubeletCfg, err := r.kubeletConfig()
	if err != nil {
		return err
	}
	proxyCfg, err := r.kubeProxyConfig()
	if err != nil {
		return err
	}
	cni, err := r.cniConflist()
	if err != nil {
		return err
	}
	if in.Role != RoleMaster { // a master has written it
		b.WriteFiles = append(b.WriteFiles, file(pkiPath("ca.crt"), p.CACert, 0o644))
	}
	b.WriteFiles = append(b.WriteFiles, pair("kubelet-serving", p.KubeletServing)...)
	b.WriteFiles = append(b.WriteFiles,
		file("/etc/kubernetes/kubelet.kubeconfig", kubeletKC, 0o600),
		file("/etc/kubernetes/kube-proxy.kubeconfig", proxyKC, 0o600),
		file(KubeletConfigPath, kubeletCfg, 0o644),
		file(KubeProxyConfigPath, proxyCfg, 0o644),
		file(ContainerdConfig, r.containerdConfig(), 0o644),
	)
	for _, reg := range MirroredRegistries {
		b.WriteFiles = append(b.WriteFiles,
			file(ContainerdCertsDir+"/"+reg+"/hosts.toml", r.hostsTOML(), 0o644))
	}
	// The conflist exists before containerd starts: the pod range is known
	// up front, so the node is Ready as soon as kubelet reports.
	b.WriteFiles = append(b.WriteFiles, file(CNIConfPath, cni, 0o644))
	if in.CgroupRoot == CgroupRootOfMachine {
		// The agent runs in <machine cgroup>/system; kubelet's pods go in
		// <machine cgroup>/kubepods. The local provider gives the machine's
		// cgroup as $SLIPWAY_CGROUP; otherwise the memory controller's line
		// names it on cgroup v1, the 0:: line on v2.
		b.Commands = append(b.Commands, node.BootstrapCommand{
			Name: "kubelet-cgroup-root",
			Shell: strings.Join([]string{
				"set -e",
				// The local provider says where; elsewhere /proc tells.
				`cg=${SLIPWAY_CGROUP:-}`,
				`[ -n "$cg" ] || cg=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/self/cgroup)`,
				`[ -n "$cg" ] || cg=$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)`,
				`cg=${cg%/system*}`,
				`[ -n "$cg" ] && [ "$cg" != / ] || { echo "cannot find this machine's cgroup in /proc/self/cgroup" >&2; exit 1; }`,
				"mkdir -p " + KubeletConfigDir,
				`printf 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupRoot: %s\n' "$cg" > ` + KubeletConfigDir + "/10-cgroup-root.conf",
			}, "\n") + "\n",
		})
	}

	// Per-netns sysctls (FINDINGS §1, §5.10). bridge-nf-call-iptables exists
	// only once the host has br_netfilter, which the local network loads.
	b.Commands = append(b.Commands, node.BootstrapCommand{
		Name: "net-sysctls",
		Shell: strings.Join([]string{
			"set -e",
			"echo 1 > /proc/sys/net/ipv4/ip_forward",
			"echo 0 > /proc/sys/net/ipv4/conf/all/rp_filter",
			"echo 0 > /proc/sys/net/ipv4/conf/default/rp_filter",
			"f=/proc/sys/net/bridge/bridge-nf-call-iptables",
			`if [ -e "$f" ]; then echo 1 > "$f"; else echo "br_netfilter is not loaded: hairpin Service traffic will fail" >&2; fi`,
		}, "\n") + "\n",
	}, node.BootstrapCommand{
		Name: "kubelet-dirs",
		Run:  []string{"mkdir", "-p", "/var/lib/kubelet", "/var/lib/containerd/opt", "/var/log/pods", "/var/log/containers"},
	})

	// containerd's directory first, so the shim and ctr built with it win.
	var pathDirs []string
	for _, d := range []string{dir(in.Binaries.Containerd), dir(in.Binaries.Runc),
		"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"} {
		if !slices.Contains(pathDirs, d) {
			pathDirs = append(pathDirs, d)
		}
	}
	pathEnv := strings.Join(pathDirs, ":")
	containerd := node.Service{
		Name:    SvcContainerd,
		Command: in.Binaries.Containerd,
		Args:    []string{"--config=" + ContainerdConfig},
		// containerd finds containerd-shim-runc-v2 in PATH.
		Env:     map[string]string{"PATH": pathEnv},
		Restart: restart,
		Readiness: &node.Probe{
			Exec:   []string{"/bin/sh", "-c", "test -S " + ContainerdSocket},
			Period: dur(100 * time.Millisecond), Timeout: dur(time.Second),
		},
	}
	kubelet := node.Service{
		Name:    SvcKubelet,
		Command: in.Binaries.Kubelet,
		Args: []string{
			"--config=" + KubeletConfigPath,
			"--config-dir=" + KubeletConfigDir,
			"--kubeconfig=/etc/kubernetes/kubelet.kubeconfig",
			"--hostname-override=" + in.NodeName,
			"--node-ip=" + in.NodeIP,
			// The cluster's cloud controller, beside it in Slipway,
			// initializes the node: provider id, instance type, addresses.
			"--cloud-provider=external",
			"--v=1",
		},
		After:     []string{SvcContainerd},
		Restart:   restart,
		Readiness: httpProbe("http://127.0.0.1:10248/healthz"),
	}
	// kube-proxy starts once the API serves with its RBAC roles: started
	// earlier, its first list is forbidden and client-go backs off for
	// seconds. A master has the API server itself; a worker waits for it
	// with apiWait.
	proxy := node.Service{
		Name:      SvcKubeProxy,
		Command:   in.Binaries.KubeProxy,
		Args:      []string{"--config=" + KubeProxyConfigPath, "--v=1"},
		After:     []string{SvcAPIServer},
		Restart:   restart,
		Readiness: &node.Probe{TCP: "127.0.0.1:10256", Period: dur(100 * time.Millisecond), Timeout: dur(2 * time.Second)},
	}
	if in.Role != RoleMaster {
		wait := node.Service{
			Name:    SvcAPIWait,
			Command: "/bin/sleep",
			Args:    []string{"infinity"},
			Restart: restart,
			// /readyz answers anonymous clients; the probe does not verify
			// TLS, and nothing is sent but the request.
			Readiness: &node.Probe{HTTP: server + "/readyz", Period: dur(100 * time.Millisecond), Timeout: dur(time.Second)},
		}
		proxy.After = []string{SvcAPIWait}
		b.Services = append(b.Services, wait)
	}
	b.Services = append(b.Services, containerd, kubelet, proxy)
	return nil
}

func dir(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

func (r *renderer) kubeletConfig() (string, error) {
	in := r.in
	cfg := map[string]any{
		"apiVersion": "kubelet.config.k8s.io/v1beta1",
		"kind":       "KubeletConfiguration",
		"authentication": map[string]any{
			"anonymous": map[string]any{"enabled": false},
			"webhook":   map[string]any{"enabled": true},
			"x509":      map[string]any{"clientCAFile": pkiPath("ca.crt")},
		},
		"authorization":      map[string]any{"mode": "Webhook"},
		"address":            in.NodeIP,
		"readOnlyPort":       0,
		"healthzBindAddress": "127.0.0.1",
		"healthzPort":        10248,
		// cgroupfs on a per-machine root: two kubelets sharing one would
		// collect each other's pod cgroups (FINDINGS §1).
		"cgroupDriver":  "cgroupfs",
		"cgroupsPerQOS": true,
		// v1.35+ refuses cgroup v1 without it; harmless on v2.
		"failCgroupV1":             false,
		"failSwapOn":               false,
		"containerRuntimeEndpoint": "unix://" + ContainerdSocket,
		"clusterDomain":            r.f.domain,
		"clusterDNS":               []string{in.ClusterDNS},
		"podCIDR":                  in.PodCIDR,
		"tlsCertFile":              pkiPath("kubelet-serving.crt"),
		"tlsPrivateKeyFile":        pkiPath("kubelet-serving.key"),
		// The machine shadows kubelet's kernel tunables, so writing them is
		// harmless (FINDINGS §1); true only when the shadows already hold
		// kubelet's values.
		"protectKernelDefaults": in.ProtectKernelDefaults,
		"rotateCertificates":    false,
		"serverTLSBootstrap":    false,
		"evictionHard": map[string]string{
			"memory.available":  "100Mi",
			"nodefs.available":  "2%",
			"imagefs.available": "2%",
		},
		"imageGCHighThresholdPercent": 98,
		"imageGCLowThresholdPercent":  95,
		"nodeStatusReportFrequency":   "10s",
		"syncFrequency":               "10s",
		"registerNode":                true,
		"resolvConf":                  "/etc/resolv.conf",
	}
	if in.CgroupRoot != CgroupRootOfMachine {
		cfg["cgroupRoot"] = in.CgroupRoot
	}
	if in.Role == RoleMaster {
		// Only pods that tolerate it run on masters, as with kubeadm. The
		// control-plane role label is the driver's to set: NodeRestriction
		// keeps kubelets from labelling themselves with node-role.
		cfg["registerWithTaints"] = []map[string]string{{"key": ControlPlaneTaint, "effect": "NoSchedule"}}
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("bootstrap: kubelet config: %w", err)
	}
	return string(data), nil
}

func (r *renderer) kubeProxyConfig() (string, error) {
	in := r.in
	cfg := map[string]any{
		"apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
		"kind":       "KubeProxyConfiguration",
		"clientConnection": map[string]any{
			"kubeconfig": "/etc/kubernetes/kube-proxy.kubeconfig",
		},
		// v1.37 wants the mode set explicitly.
		"mode":               "iptables",
		"clusterCIDR":        in.ClusterPodCIDR,
		"hostnameOverride":   in.NodeName,
		"bindAddress":        "0.0.0.0",
		"healthzBindAddress": "0.0.0.0:10256",
		"metricsBindAddress": "127.0.0.1:10249",
		"nodePortAddresses":  []string{"primary"},
		// nf_conntrack_max is read-only in a netns: touch nothing.
		"conntrack": map[string]any{
			"maxPerCore":            0,
			"tcpEstablishedTimeout": "0s",
			"tcpCloseWaitTimeout":   "0s",
		},
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("bootstrap: kube-proxy config: %w", err)
	}
	return string(data), nil
}

func (r *renderer) cniConflist() (string, error) {
	type obj = map[string]any
	list := obj{
		"cniVersion": "1.0.0",
		"name":       "slipway",
		"plugins": []obj{
			{
				"type":        "bridge",
				"bridge":      "cni0",
				"isGateway":   true,
				"ipMasq":      false,
				"hairpinMode": true,
				"ipam": obj{
					"type":   "host-local",
					"ranges": [][]obj{{{"subnet": r.f.podCIDR.String()}}},
					"routes": []obj{{"dst": "0.0.0.0/0"}},
				},
			},
			{"type": "portmap", "capabilities": obj{"portMappings": true}},
		},
	}
	data, err := yaml.Marshal(list) // sorted keys; converted to JSON below
	if err != nil {
		return "", fmt.Errorf("bootstrap: CNI conflist: %w", err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return "", fmt.Errorf("bootstrap: CNI conflist: %w", err)
	}
	return string(js) + "\n", nil
}

// containerdConfig is the CRI layout of containerd 2.x (schema 3, or 4 from
// 2.4 on; the body is the same, 3→4 only renames plugins not set here).
func (r *renderer) containerdConfig() string {
	in := r.in
	var s strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&s, format+"\n", args...) }
	w("version = %d", r.f.containerdSchema)
	w(`root = "/var/lib/containerd"`)
	w(`state = "/run/containerd"`)
	w(`disabled_plugins = ["io.containerd.tracing.processor.v1.otlp"]`)
	w("")
	w("[grpc]")
	w(`  address = %q`, ContainerdSocket)
	w("")
	w("# /opt is the machine's disk, but keep containerd's opt plugin out of it")
	w(`[plugins."io.containerd.internal.v1.opt"]`)
	w(`  path = "/var/lib/containerd/opt"`)
	w("")
	w(`[plugins."io.containerd.cri.v1.images"]`)
	w(`  snapshotter = "overlayfs"`)
	w(`  [plugins."io.containerd.cri.v1.images".pinned_images]`)
	w(`    sandbox = %q`, PauseImage)
	w(`  [plugins."io.containerd.cri.v1.images".registry]`)
	w(`    config_path = %q`, ContainerdCertsDir)
	w("")
	w(`[plugins."io.containerd.cri.v1.runtime"]`)
	w(`  enable_unprivileged_ports = true`)
	w(`  enable_unprivileged_icmp = true`)
	w(`  restrict_oom_score_adj = %t`, in.RestrictOOMScoreAdj)
	w(`  [plugins."io.containerd.cri.v1.runtime".containerd]`)
	w(`    default_runtime_name = "runc"`)
	w(`    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]`)
	w(`      runtime_type = "io.containerd.runc.v2"`)
	w(`      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]`)
	w(`        BinaryName = %q`, in.Binaries.Runc)
	w(`        SystemdCgroup = false`)
	w(`  [plugins."io.containerd.cri.v1.runtime".cni]`)
	w(`    bin_dirs = [%q]`, in.Binaries.CNIBinDir)
	w(`    conf_dir = %q`, CNIConfDir)
	return s.String()
}

// hostsTOML sends pulls of a mirrored registry to Slipway; server is Slipway
// too, so a failed pull never falls back to the real registry.
func (r *renderer) hostsTOML() string {
	m := r.in.RegistryMirror
	return fmt.Sprintf("server = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", m, m)
}
