package bootstrap

import (
	"bytes"
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/node"
	"github.com/slipway/slipway/internal/pki"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fake returns a throw-away PEM block: Render only embeds PEM.
func fake(kind, what string) string {
	return "-----BEGIN " + kind + "-----\n" + what + "\n-----END " + kind + "-----\n"
}

func fakePair(what string) KeyPair {
	return KeyPair{Cert: fake("CERTIFICATE", what+"-cert"), Key: fake("PRIVATE KEY", what+"-key")}
}

func masters() []Member {
	return []Member{{Name: "c1-master-0", IP: "10.0.0.10"}}
}

func masterInput() Input {
	return Input{
		ClusterName:       "c1",
		KubernetesVersion: "v1.37.2",
		Role:              RoleMaster,
		NodeName:          "c1-master-0",
		NodeIP:            "10.0.0.10",
		Masters:           masters(),
		APIAddress:        "10.0.0.10",
		APIPort:           6443,
		ServiceCIDR:       "10.254.0.0/16",
		ClusterPodCIDR:    "10.100.0.0/16",
		ClusterDNS:        "10.254.0.10",
		Binaries: Binaries{
			Etcd:                  "/srv/slipway/artifacts/v1.37.2/bin/etcd",
			KubeAPIServer:         "/srv/slipway/artifacts/v1.37.2/bin/kube-apiserver",
			KubeControllerManager: "/srv/slipway/artifacts/v1.37.2/bin/kube-controller-manager",
			KubeScheduler:         "/srv/slipway/artifacts/v1.37.2/bin/kube-scheduler",
		},
		PKI: PKI{
			CACert:                 fake("CERTIFICATE", "kubernetes-ca"),
			CAKey:                  fake("PRIVATE KEY", "kubernetes-ca-key"),
			EtcdCACert:             fake("CERTIFICATE", "etcd-ca"),
			FrontProxyCACert:       fake("CERTIFICATE", "front-proxy-ca"),
			EtcdServer:             fakePair("etcd-server"),
			EtcdPeer:               fakePair("etcd-peer"),
			APIServer:              fakePair("apiserver"),
			APIServerEtcdClient:    fakePair("apiserver-etcd-client"),
			APIServerKubeletClient: fakePair("apiserver-kubelet-client"),
			FrontProxyClient:       fakePair("front-proxy-client"),
			ControllerManager:      fakePair("controller-manager"),
			// As IssueCluster issues it.
			ControllerManagerIsMaster: true,
			Scheduler:                 fakePair("scheduler"),
			ServiceAccount: ServiceAccountKeys{
				PublicKey:  fake("PUBLIC KEY", "sa-pub"),
				PrivateKey: fake("PRIVATE KEY", "sa-key"),
			},
		},
		Signal: &node.Endpoint{
			URL:     "http://10.0.0.1:8004/v1/signal/master-0",
			Headers: map[string]string{"X-Auth-Token": "token"},
		},
	}
}

func workerInput() Input {
	return Input{
		ClusterName:         "c1",
		KubernetesVersion:   "v1.37.2",
		ContainerdVersion:   "2.4.2",
		Role:                RoleWorker,
		NodeName:            "c1-node-0",
		NodeIP:              "10.0.0.20",
		Masters:             masters(),
		APIAddress:          "10.0.0.10",
		APIPort:             6443,
		ServiceCIDR:         "10.254.0.0/16",
		ClusterPodCIDR:      "10.100.0.0/16",
		PodCIDR:             "10.100.1.0/24",
		ClusterDNS:          "10.254.0.10",
		CgroupRoot:          "/slipway/0123abcd/m-c1-node-0",
		RegistryMirror:      "http://10.0.0.1:5000",
		RestrictOOMScoreAdj: true,
		Binaries: Binaries{
			Kubelet:    "/srv/slipway/artifacts/v1.37.2/bin/kubelet",
			KubeProxy:  "/srv/slipway/artifacts/v1.37.2/bin/kube-proxy",
			Containerd: "/srv/slipway/artifacts/v1.37.2/bin/containerd",
			Runc:       "/usr/sbin/runc",
			CNIBinDir:  "/usr/lib/cni",
		},
		PKI: PKI{
			CACert:         fake("CERTIFICATE", "kubernetes-ca"),
			Kubelet:        fakePair("kubelet-c1-node-0"),
			KubeletServing: fakePair("kubelet-serving-c1-node-0"),
			KubeProxy:      fakePair("kube-proxy"),
		},
	}
}

// masterNodeInput is a master that also registers as a (tainted) node.
func masterNodeInput() Input {
	in := masterInput()
	w := workerInput()
	in.ContainerdVersion, in.PodCIDR, in.CgroupRoot, in.RegistryMirror = w.ContainerdVersion, "10.100.0.0/24", CgroupRootOfMachine, w.RegistryMirror
	in.Binaries.Kubelet, in.Binaries.KubeProxy, in.Binaries.Containerd = w.Binaries.Kubelet, w.Binaries.KubeProxy, w.Binaries.Containerd
	in.Binaries.Runc, in.Binaries.CNIBinDir = w.Binaries.Runc, w.Binaries.CNIBinDir
	in.PKI.Kubelet, in.PKI.KubeletServing, in.PKI.KubeProxy = fakePair("kubelet-c1-master-0"), fakePair("kubelet-serving-c1-master-0"), w.PKI.KubeProxy
	return in
}

func TestGolden(t *testing.T) {
	for name, in := range map[string]Input{"master": masterInput(), "worker": workerInput(), "master-node": masterNodeInput()} {
		t.Run(name, func(t *testing.T) {
			docs, err := Render(in)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".yaml")
			if *update {
				if err := os.WriteFile(golden, docs.UserData, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(docs.UserData, want) {
				t.Errorf("%s differs from the rendered document (go test -update rewrites it); got:\n%s", golden, docs.UserData)
			}
			parsed, err := node.ParseBootstrap(docs.UserData)
			if err != nil {
				t.Fatalf("agent rejects the document: %v", err)
			}
			if parsed.Hostname != in.NodeName || len(parsed.Services) != len(docs.Bootstrap.Services) {
				t.Errorf("round trip lost data: %+v", parsed)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, in := range []Input{masterInput(), workerInput()} {
		a, err := Render(in)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			b, err := Render(in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.UserData, b.UserData) {
				t.Fatalf("%s: two renders differ", in.Role)
			}
		}
	}
}

func service(t *testing.T, b *node.Bootstrap, name string) node.Service {
	t.Helper()
	for _, s := range b.Services {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no service %s", name)
	return node.Service{}
}

func writeFile(t *testing.T, b *node.Bootstrap, path string) string {
	t.Helper()
	for _, f := range b.WriteFiles {
		if f.Path == path {
			return f.Content
		}
	}
	t.Fatalf("no file %s", path)
	return ""
}

// The properties the golden files must keep, spelled out so that an
// -update cannot silently drop one.
func TestMasterProperties(t *testing.T) {
	docs, err := Render(masterInput())
	if err != nil {
		t.Fatal(err)
	}
	b := docs.Bootstrap
	api := service(t, b, SvcAPIServer)
	if api.Readiness == nil || !strings.HasSuffix(api.Readiness.HTTP, "/readyz") {
		t.Errorf("apiserver readiness is not /readyz: %+v", api.Readiness)
	}
	for _, name := range []string{SvcControllerManager, SvcScheduler} {
		if s := service(t, b, name); len(s.After) != 1 || s.After[0] != SvcAPIServer {
			t.Errorf("%s does not wait for the apiserver's /readyz: after=%v", name, s.After)
		}
	}
	args := strings.Join(api.Args, " ")
	for _, want := range []string{"--kubelet-preferred-address-types=InternalIP,Hostname", "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction", "--service-account-signing-key-file=", "--proxy-client-cert-file="} {
		if !strings.Contains(args, want) {
			t.Errorf("apiserver lacks %s", want)
		}
	}
	kcm := strings.Join(service(t, b, SvcControllerManager).Args, " ")
	for _, want := range []string{"--allocate-node-cidrs=false", "--use-service-account-credentials=false", "--cluster-signing-key-file="} {
		if !strings.Contains(kcm, want) {
			t.Errorf("controller-manager lacks %s", want)
		}
	}
	// A controller-manager outside system:masters has its controllers
	// use service accounts, which RBAC grants their roles.
	in := masterInput()
	in.PKI.ControllerManagerIsMaster = false
	older, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	if kcm := strings.Join(service(t, older.Bootstrap, SvcControllerManager).Args, " "); !strings.Contains(kcm, "--use-service-account-credentials=true") {
		t.Errorf("a controller-manager outside system:masters runs with %s", kcm)
	}
	for _, f := range b.WriteFiles {
		if strings.HasSuffix(f.Path, ".key") && f.Permissions != 0o600 {
			t.Errorf("%s has mode %o", f.Path, f.Permissions)
		}
	}
}

func TestWorkerProperties(t *testing.T) {
	docs, err := Render(workerInput())
	if err != nil {
		t.Fatal(err)
	}
	b := docs.Bootstrap
	ctd := writeFile(t, b, ContainerdConfig)
	for _, want := range []string{"version = 4", "restrict_oom_score_adj = true", "SystemdCgroup = false", `sandbox = "registry.k8s.io/pause:3.10.2"`, `config_path = "/etc/containerd/certs.d"`, `io.containerd.internal.v1.opt`} {
		if !strings.Contains(ctd, want) {
			t.Errorf("containerd config lacks %s", want)
		}
	}
	for _, reg := range MirroredRegistries {
		if h := writeFile(t, b, ContainerdCertsDir+"/"+reg+"/hosts.toml"); !strings.Contains(h, `server = "http://10.0.0.1:5000"`) {
			t.Errorf("%s hosts.toml does not point at Slipway:\n%s", reg, h)
		}
	}
	kubelet := writeFile(t, b, KubeletConfigPath)
	for _, want := range []string{"cgroupDriver: cgroupfs", "failCgroupV1: false", "cgroupRoot: /slipway/0123abcd/m-c1-node-0", "podCIDR: 10.100.1.0/24", "- 10.254.0.10", "protectKernelDefaults: false"} {
		if !strings.Contains(kubelet, want) {
			t.Errorf("kubelet config lacks %q", want)
		}
	}
	proxy := writeFile(t, b, KubeProxyConfigPath)
	for _, want := range []string{"mode: iptables", "maxPerCore: 0", "- primary", "clusterCIDR: 10.100.0.0/16"} {
		if !strings.Contains(proxy, want) {
			t.Errorf("kube-proxy config lacks %q", want)
		}
	}
	cni := writeFile(t, b, CNIConfPath)
	for _, want := range []string{`"bridge":"cni0"`, `"isGateway":true`, `"hairpinMode":true`, `"ipMasq":false`, `"subnet":"10.100.1.0/24"`, `"type":"portmap"`} {
		if !strings.Contains(cni, want) {
			t.Errorf("CNI conflist lacks %s: %s", want, cni)
		}
	}
	in := workerInput()
	in.ContainerdVersion = "2.1.5"
	docs, err = Render(in)
	if err != nil {
		t.Fatal(err)
	}
	if c := writeFile(t, docs.Bootstrap, ContainerdConfig); !strings.HasPrefix(c, "version = 3\n") {
		t.Errorf("containerd 2.1 config is not version 3:\n%s", c)
	}
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name  string
		base  func() Input
		edit  func(*Input)
		field string
	}{
		{"no cluster name", masterInput, func(in *Input) { in.ClusterName = "" }, "ClusterName"},
		{"bad version", masterInput, func(in *Input) { in.KubernetesVersion = "1.37" }, "KubernetesVersion"},
		{"old version", masterInput, func(in *Input) { in.KubernetesVersion = "v1.30.1" }, "KubernetesVersion"},
		{"bad role", masterInput, func(in *Input) { in.Role = "etcd" }, "Role"},
		{"node name", masterInput, func(in *Input) { in.NodeName = "Node_1" }, "NodeName"},
		{"node ip", workerInput, func(in *Input) { in.NodeIP = "10.0.0" }, "NodeIP"},
		{"node ipv6", workerInput, func(in *Input) { in.NodeIP = "fd00::1" }, "NodeIP"},
		{"api port", workerInput, func(in *Input) { in.APIPort = 0 }, "APIPort"},
		{"api address", workerInput, func(in *Input) { in.APIAddress = "" }, "APIAddress"},
		{"service cidr", masterInput, func(in *Input) { in.ServiceCIDR = "10.254.0.1/16" }, "ServiceCIDR"},
		{"dns outside", workerInput, func(in *Input) { in.ClusterDNS = "10.200.0.10" }, "ClusterDNS"},
		{"pods overlap services", workerInput, func(in *Input) { in.ClusterPodCIDR = "10.254.0.0/16"; in.PodCIDR = "10.254.1.0/24" }, "ClusterPodCIDR"},
		{"pod cidr outside", workerInput, func(in *Input) { in.PodCIDR = "10.101.1.0/24" }, "PodCIDR"},
		{"pod cidr missing", workerInput, func(in *Input) { in.PodCIDR = "" }, "PodCIDR"},
		{"registering master without a kubelet", masterInput, func(in *Input) { in.PodCIDR = "10.100.1.0/24" }, "ContainerdVersion"},
		{"master's kubelet key on a master that does not register", masterNodeInput, func(in *Input) { in.PodCIDR = "" }, "PKI.Kubelet"},
		{"no masters", workerInput, func(in *Input) { in.Masters = nil }, "Masters"},
		{"master not listed", masterInput, func(in *Input) { in.NodeName = "c1-master-9" }, "Masters"},
		{"master ip mismatch", masterInput, func(in *Input) { in.NodeIP = "10.0.0.11" }, "Masters[0].IP"},
		{"worker listed as master", workerInput, func(in *Input) { in.Masters = append(in.Masters, Member{Name: in.NodeName, IP: in.NodeIP}) }, "NodeName"},
		{"containerd 1.x", workerInput, func(in *Input) { in.ContainerdVersion = "1.6.20" }, "ContainerdVersion"},
		{"containerd missing", workerInput, func(in *Input) { in.ContainerdVersion = "" }, "ContainerdVersion"},
		{"cgroup root shared", workerInput, func(in *Input) { in.CgroupRoot = "/" }, "CgroupRoot"},
		{"cgroup root relative", workerInput, func(in *Input) { in.CgroupRoot = "slipway/x" }, "CgroupRoot"},
		{"mirror", workerInput, func(in *Input) { in.RegistryMirror = "10.0.0.1:5000" }, "RegistryMirror"},
		{"kubelet binary", workerInput, func(in *Input) { in.Binaries.Kubelet = "kubelet" }, "Binaries.Kubelet"},
		{"etcd binary", masterInput, func(in *Input) { in.Binaries.Etcd = "" }, "Binaries.Etcd"},
		{"ca cert", workerInput, func(in *Input) { in.PKI.CACert = "not pem" }, "PKI.CACert"},
		{"kubelet key", workerInput, func(in *Input) { in.PKI.Kubelet.Key = fake("CERTIFICATE", "x") }, "PKI.Kubelet.Key"},
		{"sa key", masterInput, func(in *Input) { in.PKI.ServiceAccount.PublicKey = "" }, "PKI.ServiceAccount.PublicKey"},
		{"ca key on worker", workerInput, func(in *Input) { in.PKI.CAKey = fake("PRIVATE KEY", "x") }, "PKI.CAKey"},
		{"signal", masterInput, func(in *Input) { in.Signal = &node.Endpoint{} }, "Signal.URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.base()
			tt.edit(&in)
			_, err := Render(in)
			if err == nil {
				t.Fatal("Render accepted the input")
			}
			if !errors.Is(err, ErrInvalidInput) {
				t.Errorf("error does not wrap ErrInvalidInput: %v", err)
			}
			if !strings.Contains(err.Error(), tt.field+":") {
				t.Errorf("error does not name %s: %v", tt.field, err)
			}
		})
	}
}

// Real material from internal/pki renders as well as the fakes do.
func TestRealPKI(t *testing.T) {
	cas, err := pki.NewClusterCAs("c1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	issue := func(cn string, orgs []string, usages pki.Usage, ips ...string) KeyPair {
		t.Helper()
		req := pki.IssueRequest{CommonName: cn, Organization: orgs, Usages: usages}
		for _, ip := range ips {
			req.IPAddresses = append(req.IPAddresses, net.ParseIP(ip))
		}
		cert, key, err := cas.Kubernetes.Issue(req)
		if err != nil {
			t.Fatal(err)
		}
		return KeyPair{Cert: string(cert), Key: string(key)}
	}
	pems, err := cas.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	in := workerInput()
	in.PKI = PKI{
		CACert:         string(pems[pki.CATypeKubernetes].CertPEM),
		Kubelet:        issue("system:node:c1-node-0", []string{"system:nodes"}, pki.UsageClient),
		KubeletServing: issue("c1-node-0", nil, pki.UsageServer, in.NodeIP),
		KubeProxy:      issue("system:kube-proxy", nil, pki.UsageClient),
	}
	if _, err := Render(in); err != nil {
		t.Fatal(err)
	}
}
