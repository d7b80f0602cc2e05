package pki

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/model"
)

// DefaultClusterDomain is the cluster DNS domain when a plan names none.
const DefaultClusterDomain = "cluster.local"

// Subjects of the cluster's component certificates
// (docs/design/kubernetes-driver.md, PKI).
const (
	CNAPIServer              = "kube-apiserver"
	CNAPIServerKubeletClient = "kube-apiserver-kubelet-client"
	CNAPIServerEtcdClient    = "kube-apiserver-etcd-client"
	CNFrontProxyClient       = "front-proxy-client"
	CNControllerManager      = "system:kube-controller-manager"
	CNScheduler              = "system:kube-scheduler"
	CNKubeProxy              = "system:kube-proxy"
	CNAdmin                  = "admin"
	// NodeCNPrefix prefixes a node name in its kubelet client certificate.
	NodeCNPrefix = "system:node:"
	// GroupMasters is the group bound to cluster-admin.
	GroupMasters = "system:masters"
	// GroupNodes is the group of every kubelet.
	GroupNodes = "system:nodes"
)

// PlanNode is one planned machine of a cluster: its name (hostname, node
// name and, on masters, etcd member name) and its fixed IP address.
type PlanNode struct {
	Name string
	IP   string
}

// ClusterPlan is what IssueCluster needs to know about a cluster before any
// of its servers exists.
type ClusterPlan struct {
	// ClusterName names the cluster; required.
	ClusterName string
	// ClusterDomain is the cluster DNS domain; empty means
	// DefaultClusterDomain.
	ClusterDomain string
	// ServiceCIDR is the Service IP range, such as 10.254.0.0/16; its first
	// address (the kubernetes Service) goes into the API server certificate.
	ServiceCIDR string
	// APIIPs are further addresses the API is reached at: the load
	// balancer's VIP and the floating IP. Master IPs, 127.0.0.1 and the
	// first service IP are added by IssueCluster.
	APIIPs []string
	// APIDNSNames are further DNS names of the API. The kubernetes.* names,
	// localhost and the master names are added by IssueCluster.
	APIDNSNames []string
	// Masters lists every master; at least one.
	Masters []PlanNode
	// Workers lists every worker; may be empty.
	Workers []PlanNode
}

// MasterCerts is the per-master material of a cluster.
type MasterCerts struct {
	Name string
	// EtcdServer serves etcd clients (server+client usages).
	EtcdServer KeyPairPEM
	// EtcdPeer authenticates between etcd members (server+client usages).
	EtcdPeer KeyPairPEM
	// Kubelet and KubeletServing are the master's kubelet's, as a
	// worker's: masters register as (tainted) nodes.
	Kubelet        KeyPairPEM
	KubeletServing KeyPairPEM
}

// WorkerCerts is the per-worker material of a cluster.
type WorkerCerts struct {
	Name string
	// Kubelet is the kubelet's client certificate: CN system:node:<name>,
	// O system:nodes.
	Kubelet KeyPairPEM
	// KubeletServing is the kubelet's serving certificate for its name and
	// node IP.
	KubeletServing KeyPairPEM
}

// ClusterCerts is every certificate and key of the design note's PKI table
// for one cluster, issued by IssueCluster. Keys are secrets.
type ClusterCerts struct {
	// APIServer is kube-apiserver's serving certificate.
	APIServer KeyPairPEM
	// APIServerKubeletClient authenticates the API server to kubelets
	// (O system:masters).
	APIServerKubeletClient KeyPairPEM
	// APIServerEtcdClient authenticates the API server to etcd (etcd CA).
	APIServerEtcdClient KeyPairPEM
	// FrontProxyClient authenticates the API server to aggregated API
	// servers (front-proxy CA).
	FrontProxyClient KeyPairPEM
	// ControllerManager is the controller-manager's client (O
	// system:masters).
	ControllerManager KeyPairPEM
	Scheduler         KeyPairPEM
	KubeProxy         KeyPairPEM
	// Admin is the cluster-admin client (O system:masters) for kubeconfigs
	// and addons.
	Admin KeyPairPEM
	// ServiceAccount signs and verifies service-account tokens.
	ServiceAccount ServiceAccountKeyPEM
	// Masters and Workers are in plan order.
	Masters []MasterCerts
	Workers []WorkerCerts
}

// Master returns the certificates of the named master.
func (c *ClusterCerts) Master(name string) (MasterCerts, bool) {
	for _, m := range c.Masters {
		if m.Name == name {
			return m, true
		}
	}
	return MasterCerts{}, false
}

// Worker returns the certificates of the named worker.
func (c *ClusterCerts) Worker(name string) (WorkerCerts, bool) {
	for _, w := range c.Workers {
		if w.Name == name {
			return w, true
		}
	}
	return WorkerCerts{}, false
}

// KubeletCerts are a node's kubelet client and serving certificates.
type KubeletCerts struct {
	Client, Serving KeyPairPEM
}

// Kubelet returns the kubelet certificates of the named node, a master or
// a worker.
func (c *ClusterCerts) Kubelet(name string) (KubeletCerts, bool) {
	if m, ok := c.Master(name); ok {
		return KubeletCerts{Client: m.Kubelet, Serving: m.KubeletServing}, true
	}
	if w, ok := c.Worker(name); ok {
		return KubeletCerts{Client: w.Kubelet, Serving: w.KubeletServing}, true
	}
	return KubeletCerts{}, false
}

// APIServerSANs returns the subject alternative names of the API server
// certificate of plan: kubernetes, kubernetes.default,
// kubernetes.default.svc, kubernetes.default.svc.<domain>, localhost, every
// master name and plan.APIDNSNames; the first service IP, 127.0.0.1, every
// master IP and plan.APIIPs. Duplicates are dropped, order is kept. The plan
// must be valid.
func (p ClusterPlan) APIServerSANs() (dnsNames []string, ips []net.IP, err error) {
	v, err := p.validate()
	if err != nil {
		return nil, nil, err
	}
	return v.apiDNS, v.apiIPs, nil
}

// FirstServiceIP returns the first address of plan.ServiceCIDR, the
// ClusterIP of the kubernetes Service.
func (p ClusterPlan) FirstServiceIP() (net.IP, error) {
	prefix, err := parseServiceCIDR(p.ServiceCIDR)
	if err != nil {
		return nil, err
	}
	return net.IP(prefix.Addr().Next().AsSlice()), nil
}

// validPlan is a ClusterPlan after validation, with derived values.
type validPlan struct {
	masters, workers []planNode
	apiDNS           []string
	apiIPs           []net.IP
}

type planNode struct {
	name string
	ip   net.IP
}

// validate checks every field of the plan and derives the API server SANs.
// Its errors match model.ErrInvalid and name the offending field.
func (p ClusterPlan) validate() (*validPlan, error) {
	if strings.TrimSpace(p.ClusterName) == "" {
		return nil, model.Invalidf("cluster plan: cluster_name is required")
	}
	domain := p.ClusterDomain
	if domain == "" {
		domain = DefaultClusterDomain
	}
	if err := checkDNSName(domain); err != nil {
		return nil, model.Invalidf("cluster plan: cluster_domain %q: %v", p.ClusterDomain, err)
	}
	firstSvc, err := p.FirstServiceIP()
	if err != nil {
		return nil, err
	}
	if len(p.Masters) == 0 {
		return nil, model.Invalidf("cluster plan: masters: at least one master is required")
	}
	v := &validPlan{}
	check := newNodeChecker().check
	for i, n := range p.Masters {
		pn, err := check("masters", i, n)
		if err != nil {
			return nil, err
		}
		v.masters = append(v.masters, pn)
	}
	for i, n := range p.Workers {
		pn, err := check("workers", i, n)
		if err != nil {
			return nil, err
		}
		v.workers = append(v.workers, pn)
	}

	dns := newStringSet("kubernetes", "kubernetes.default", "kubernetes.default.svc",
		"kubernetes.default.svc."+domain, "localhost")
	for _, m := range v.masters {
		dns.add(m.name)
	}
	for i, name := range p.APIDNSNames {
		if err := checkDNSName(name); err != nil {
			return nil, model.Invalidf("cluster plan: api_dns_names[%d] %q: %v", i, name, err)
		}
		dns.add(name)
	}
	v.apiDNS = dns.list

	ipSet := newIPSet(firstSvc, net.IPv4(127, 0, 0, 1))
	for _, m := range v.masters {
		ipSet.add(m.ip)
	}
	for i, s := range p.APIIPs {
		addr, err := parseHostIP(s)
		if err != nil {
			return nil, model.Invalidf("cluster plan: api_ips[%d] %q: %v", i, s, err)
		}
		ipSet.add(net.IP(addr.AsSlice()))
	}
	v.apiIPs = ipSet.list
	return v, nil
}

// nodeChecker validates the nodes of a plan, each name and address used
// once.
type nodeChecker struct {
	names map[string]string
	ips   map[netip.Addr]string
}

func newNodeChecker() *nodeChecker {
	return &nodeChecker{names: map[string]string{}, ips: map[netip.Addr]string{}}
}

// check validates the node at index i of field; its errors match
// model.ErrInvalid and name the node.
func (c *nodeChecker) check(field string, i int, n PlanNode) (planNode, error) {
	where := fmt.Sprintf("%s[%d]", field, i)
	if n.Name == "" {
		return planNode{}, model.Invalidf("cluster plan: %s.name is required", where)
	}
	if err := checkNodeName(n.Name); err != nil {
		return planNode{}, model.Invalidf("cluster plan: %s.name %q: %v", where, n.Name, err)
	}
	if prev, dup := c.names[n.Name]; dup {
		return planNode{}, model.Invalidf("cluster plan: %s.name %q: already used by %s", where, n.Name, prev)
	}
	c.names[n.Name] = where
	addr, err := parseHostIP(n.IP)
	if err != nil {
		return planNode{}, model.Invalidf("cluster plan: %s.ip %q: %v", where, n.IP, err)
	}
	if prev, dup := c.ips[addr]; dup {
		return planNode{}, model.Invalidf("cluster plan: %s.ip %q: already used by %s", where, n.IP, prev)
	}
	c.ips[addr] = where
	return planNode{name: n.Name, ip: net.IP(addr.AsSlice())}, nil
}

// kubeletRequests are a node's kubelet client (system:node:<name>, O
// system:nodes) and serving (its name and IP) certificate requests.
func kubeletRequests(n planNode) (client, serving IssueRequest) {
	return IssueRequest{CommonName: NodeCNPrefix + n.name, Organization: []string{GroupNodes}, Usages: UsageClient},
		IssueRequest{CommonName: n.name, DNSNames: []string{n.name}, IPAddresses: []net.IP{n.ip}, Usages: UsageServer}
}

// parseServiceCIDR parses and checks the service range.
func parseServiceCIDR(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, model.Invalidf("cluster plan: service_cidr is required")
	}
	prefix, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, model.Invalidf("cluster plan: service_cidr %q: not a CIDR", s)
	}
	if prefix.Addr().Zone() != "" || prefix.Addr().Is4In6() {
		return netip.Prefix{}, model.Invalidf("cluster plan: service_cidr %q: not a plain IPv4 or IPv6 CIDR", s)
	}
	if prefix.Masked() != prefix {
		return netip.Prefix{}, model.Invalidf("cluster plan: service_cidr %q: host bits set, want %s", s, prefix.Masked())
	}
	if prefix.Addr().BitLen()-prefix.Bits() < 2 {
		return netip.Prefix{}, model.Invalidf("cluster plan: service_cidr %q: too small for Services", s)
	}
	return prefix, nil
}

// parseHostIP parses an IP address a machine or the API can have.
func parseHostIP(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, errors.New("required")
	}
	addr, err := netip.ParseAddr(s)
	if err != nil || addr.Zone() != "" {
		return netip.Addr{}, errors.New("not an IP address")
	}
	addr = addr.Unmap()
	if addr.IsUnspecified() || addr.IsMulticast() {
		return netip.Addr{}, errors.New("not a unicast address")
	}
	return addr, nil
}

// checkNodeName checks a node name: a lowercase RFC 1123 subdomain, as
// Kubernetes requires of Node names.
func checkNodeName(s string) error {
	if s != strings.ToLower(s) {
		return errors.New("must be lowercase")
	}
	return checkDNSName(s)
}

// checkDNSName checks an RFC 1123 DNS name of at most 253 characters.
func checkDNSName(s string) error {
	if s == "" {
		return errors.New("empty DNS name")
	}
	if len(s) > 253 {
		return errors.New("longer than 253 characters")
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return errors.New("each label must be 1 to 63 characters")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("a label must not start or end with '-'")
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Errorf("invalid character %q", r)
			}
		}
	}
	return nil
}

// stringSet keeps the first occurrence of each string, in order.
type stringSet struct {
	seen map[string]bool
	list []string
}

func newStringSet(ss ...string) *stringSet {
	s := &stringSet{seen: map[string]bool{}}
	for _, v := range ss {
		s.add(v)
	}
	return s
}

func (s *stringSet) add(v string) {
	if !s.seen[v] {
		s.seen[v] = true
		s.list = append(s.list, v)
	}
}

// ipSet keeps the first occurrence of each IP, in order.
type ipSet struct {
	seen map[netip.Addr]bool
	list []net.IP
}

func newIPSet(ips ...net.IP) *ipSet {
	s := &ipSet{seen: map[netip.Addr]bool{}}
	for _, ip := range ips {
		s.add(ip)
	}
	return s
}

func (s *ipSet) add(ip net.IP) {
	addr, _ := netip.AddrFromSlice(ip)
	addr = addr.Unmap()
	if !s.seen[addr] {
		s.seen[addr] = true
		s.list = append(s.list, net.IP(addr.AsSlice()))
	}
}

// IssueCluster issues every certificate of the design note's PKI table for
// the cluster of plan, from cas, at now (zero means the current time):
//
//   - from the Kubernetes CA: the API server serving certificate (SANs from
//     APIServerSANs), the API server's kubelet client
//     (kube-apiserver-kubelet-client, O system:masters), the controller-manager
//     (O system:masters) and scheduler clients, kube-proxy, admin (O
//     system:masters), and per
//     worker a kubelet client (system:node:<name>, O system:nodes) and a
//     kubelet serving certificate for its name and IP;
//   - from the etcd CA: the API server's etcd client and per master an etcd
//     server (name, localhost, IP, 127.0.0.1) and peer (name, IP)
//     certificate, both server+client;
//   - from the front-proxy CA: front-proxy-client;
//
// plus a fresh service-account key pair. The structure depends only on the
// plan; every key is new. An invalid plan is refused, before any key is
// generated, with an error that matches model.ErrInvalid and names the
// field.
func IssueCluster(cas *ClusterCAs, plan ClusterPlan, now time.Time) (*ClusterCerts, error) {
	if cas == nil || cas.Kubernetes == nil || cas.Etcd == nil || cas.FrontProxy == nil {
		return nil, errors.New("issue cluster certificates: missing cluster CAs")
	}
	v, err := plan.validate()
	if err != nil {
		return nil, err
	}
	var firstErr error
	issue := func(ca *CA, req IssueRequest) KeyPairPEM {
		if firstErr != nil {
			return KeyPairPEM{}
		}
		req.Now = now
		cert, key, err := ca.Issue(req)
		if err != nil {
			firstErr = fmt.Errorf("issue cluster %q certificates: %w", plan.ClusterName, err)
			return KeyPairPEM{}
		}
		return KeyPairPEM{CertPEM: cert, KeyPEM: key}
	}
	client := func(cn string, orgs ...string) IssueRequest {
		return IssueRequest{CommonName: cn, Organization: orgs, Usages: UsageClient}
	}
	k8s, etcd := cas.Kubernetes, cas.Etcd
	loopback := net.IPv4(127, 0, 0, 1).To4()

	out := &ClusterCerts{
		APIServer: issue(k8s, IssueRequest{
			CommonName: CNAPIServer, DNSNames: v.apiDNS, IPAddresses: v.apiIPs, Usages: UsageServer,
		}),
		APIServerKubeletClient: issue(k8s, client(CNAPIServerKubeletClient, GroupMasters)),
		APIServerEtcdClient:    issue(etcd, client(CNAPIServerEtcdClient)),
		FrontProxyClient:       issue(cas.FrontProxy, client(CNFrontProxyClient)),
		// The controller-manager holds the CA's key and the service-account
		// signing key, so it can act as anyone already; in system:masters
		// its controllers share its credential (no service account and
		// token for each of them, which took its start from 0.2 s to 5 s
		// on a busy master).
		ControllerManager: issue(k8s, client(CNControllerManager, GroupMasters)),
		Scheduler:         issue(k8s, client(CNScheduler)),
		KubeProxy:         issue(k8s, client(CNKubeProxy)),
		Admin:             issue(k8s, client(CNAdmin, GroupMasters)),
	}
	kubelet := func(n planNode) (client, serving KeyPairPEM) {
		c, s := kubeletRequests(n)
		return issue(k8s, c), issue(k8s, s)
	}
	for _, m := range v.masters {
		kc, ks := kubelet(m)
		out.Masters = append(out.Masters, MasterCerts{
			Name: m.name, Kubelet: kc, KubeletServing: ks,
			EtcdServer: issue(etcd, IssueRequest{
				CommonName:  m.name,
				DNSNames:    []string{m.name, "localhost"},
				IPAddresses: []net.IP{m.ip, loopback},
				Usages:      UsageServer | UsageClient,
			}),
			EtcdPeer: issue(etcd, IssueRequest{
				CommonName:  m.name,
				DNSNames:    []string{m.name},
				IPAddresses: []net.IP{m.ip},
				Usages:      UsageServer | UsageClient,
			}),
		})
	}
	for _, w := range v.workers {
		kc, ks := kubelet(w)
		out.Workers = append(out.Workers, WorkerCerts{Name: w.name, Kubelet: kc, KubeletServing: ks})
	}
	if firstErr != nil {
		return nil, firstErr
	}
	priv, pub, err := NewServiceAccountKey()
	if err != nil {
		return nil, fmt.Errorf("issue cluster %q certificates: %w", plan.ClusterName, err)
	}
	out.ServiceAccount = ServiceAccountKeyPEM{PrivateKeyPEM: priv, PublicKeyPEM: pub}
	return out, nil
}

// IssueWorkers issues the certificates of workers that join a cluster whose
// other certificates IssueCluster made: each one's kubelet client and
// serving certificates from the Kubernetes CA, as IssueCluster issues them,
// and nothing else. The workers are validated as a plan's are; the caller
// keeps their names and addresses apart from the cluster's other nodes.
func IssueWorkers(cas *ClusterCAs, workers []PlanNode, now time.Time) ([]WorkerCerts, error) {
	if cas == nil || cas.Kubernetes == nil {
		return nil, errors.New("issue worker certificates: missing the Kubernetes CA")
	}
	check := newNodeChecker().check
	out := make([]WorkerCerts, 0, len(workers))
	for i, w := range workers {
		n, err := check("workers", i, w)
		if err != nil {
			return nil, err
		}
		wc := WorkerCerts{Name: n.name}
		creq, sreq := kubeletRequests(n)
		for _, x := range []struct {
			req IssueRequest
			to  *KeyPairPEM
		}{{creq, &wc.Kubelet}, {sreq, &wc.KubeletServing}} {
			x.req.Now = now
			cert, key, err := cas.Kubernetes.Issue(x.req)
			if err != nil {
				return nil, fmt.Errorf("issue the certificates of worker %s: %w", n.name, err)
			}
			*x.to = KeyPairPEM{CertPEM: cert, KeyPEM: key}
		}
		out = append(out, wc)
	}
	return out, nil
}

// InGroup reports whether the client certificate certPEM names group in its
// subject's O, which Kubernetes reads as the user's groups. A certificate
// that does not parse is in no group.
func InGroup(certPEM []byte, group string) bool {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != pemCertificate {
		return false
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	return err == nil && slices.Contains(cert.Subject.Organization, group)
}
