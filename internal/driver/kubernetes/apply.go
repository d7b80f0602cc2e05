package kubernetes

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/slipway/slipway/internal/artifacts"
	"github.com/slipway/slipway/internal/driver"
	"github.com/slipway/slipway/internal/driver/kubernetes/bootstrap"
	"github.com/slipway/slipway/internal/driver/kubernetes/netplan"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/node"
	"github.com/slipway/slipway/internal/orchestration/engine"
	"github.com/slipway/slipway/internal/pki"
	"github.com/slipway/slipway/internal/store"
)

// Resource names of the groups in the cluster template.
const (
	mastersResource       = "kube_masters"
	defaultWorkerResource = "kube_minions"
)

// Placeholders the node template replaces with its wait condition handle.
const (
	signalURLPlaceholder   = "@@SIGNAL_URL@@"
	signalTokenPlaceholder = "@@SIGNAL_TOKEN@@"
)

var nonLabel = regexp.MustCompile(`[^a-z0-9-]+`)

// dnsLabel turns s into a DNS label of at most n characters.
func dnsLabel(s string, n int) string {
	s = nonLabel.ReplaceAllString(strings.ToLower(s), "-")
	if len(s) > n {
		s = s[:n]
	}
	s = strings.Trim(s, "-")
	if s == "" {
		s = "k8s"
	}
	return s
}

// clusterPrefix names a cluster's nodes, as Magnum does: the cluster's name
// and a piece of its UUID.
func clusterPrefix(c *model.Cluster) string {
	return dnsLabel(c.Name, 30) + "-" + strings.ReplaceAll(c.UUID, "-", "")[:5]
}

// plannedGroup is one nodegroup as this Apply wants it.
type plannedGroup struct {
	ng      *model.NodeGroup
	gs      *groupState
	members []string
	master  bool
	flavor  string
}

func (g *plannedGroup) nodeName(index string) string { return g.gs.NamePrefix + index }

// Apply implements driver.Driver: it creates or converges the cluster's
// stack, then makes the cluster usable (pod ranges, DNS) and waits until
// every node is Ready.
func (d *Driver) Apply(ctx context.Context, s *driver.Scope) error {
	c := s.Cluster
	start := time.Now()
	log := d.log.With("cluster", c.UUID)
	stage := func(name string) {
		log.Info("cluster stage done", "stage", name, "elapsed", time.Since(start).Round(time.Millisecond))
	}
	cfg, err := configOf(c, s.Template)
	if err != nil {
		return driver.Permanent(err)
	}
	if tag := upgradeTag(c, s.Template); tag != "" {
		cfg.KubeTag = tag
	}
	nodeTmpl, err := nodeTemplateFor(d.opts.TemplateDir, s.Template.ServerType, s.Template.ClusterDistro)
	if err != nil {
		return driver.Permanent(err)
	}
	if d.opts.RegistryURL == "" || d.opts.Servers == nil {
		return driver.Permanent(errors.New("this conductor runs no infrastructure provider, or has no address its machines reach it at (is the local provider running?): nodes could not pull images, signal or be initialized"))
	}
	if !cfg.FloatingIP {
		return driver.Permanent(model.Invalidf("floating_ip_enabled must be true: Slipway reaches the cluster's API through its floating IP."))
	}
	m, err := d.ensureArtifacts(ctx, cfg.KubeTag, s.Progress)
	if err != nil {
		return err
	}
	st, err := loadState(ctx, d.opts.Store, c.UUID)
	if err != nil {
		return err
	}
	if st.Prefix == "" {
		st.Prefix = clusterPrefix(c)
	}
	if st.KubeTag == "" {
		st.KubeTag = cfg.KubeTag
	}
	upgrading, err := startUpgrade(c, st, cfg)
	if err != nil {
		return err
	}
	if upgrading {
		s.Progress(fmt.Sprintf("upgrading from %s to %s", st.KubeTag, st.UpgradingTo))
	}
	cfg.NodeTemplate = nodeTmpl
	groups, err := d.planGroups(c, s.NodeGroups, cfg, st)
	if err != nil {
		return driver.Permanent(err)
	}
	// Nodegroups being deleted lose every node: drained like any removed
	// node, their group gone from the template.
	var deleted []*plannedGroup
	for _, ng := range s.NodeGroups {
		if gs := st.Groups[ng.UUID]; ng.Status == model.DeleteInProgress && gs != nil {
			deleted = append(deleted, &plannedGroup{ng: ng, gs: gs})
		}
	}

	// Stage 1: the network, alone, so that the API's floating IP is known
	// before the API server's certificate is issued.
	if c.StackID == "" || st.FloatingIP == "" {
		s.Progress("creating the cluster network")
		spec := d.stackSpec(cfg, st, nil)
		stack, err := d.createOrUpdate(ctx, s, spec)
		if err != nil {
			return err
		}
		out := outputs(stack)
		fip, _ := out["api_floating_ip"].(string)
		if fip == "" {
			return fmt.Errorf("stack %s has no api_floating_ip output", stack.Name)
		}
		st.FloatingIP = fip
		if err := saveState(ctx, d.opts.Store, c.UUID, st); err != nil {
			return err
		}
		stage("network")
	}

	// Drain the nodes this update removes before their servers go.
	kc, kerr := d.client(cfg, st)
	if kerr == nil {
		if err := d.drainRemoved(ctx, s, kc, append(slices.Clone(groups), deleted...), st); err != nil {
			return err
		}
	}

	// Stage 2: the address plan, the certificates and every node.
	network, err := d.plan(cfg, st, groups)
	if err != nil {
		return driver.Permanent(err)
	}
	cas, err := loadCAs(ctx, d.opts.Store, c.UUID)
	if err != nil {
		return err
	}
	if err := d.issue(cas, cfg, st, network); err != nil {
		return err
	}
	spec := d.stackSpec(cfg, st, groups)
	caPEMs, err := cas.MarshalPEM()
	if err != nil {
		return err
	}
	includes, err := d.renderNodes(cfg, m, st, caPEMs, network, groups, spec)
	if err != nil {
		return driver.Permanent(err)
	}
	// The documents, keys and all, are sealed secrets the machines fetch;
	// the stack holds only what points at them.
	if err := d.opts.Store.InTx(ctx, func(tx store.Writer) error {
		for name, doc := range includes {
			if err := tx.PutSecret(ctx, name, doc); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("store the nodes' documents: %w", err)
	}
	for _, g := range groups {
		g.gs.Members = g.members
	}
	for _, g := range deleted {
		delete(st.Groups, g.ng.UUID)
	}
	if err := saveState(ctx, d.opts.Store, c.UUID, st); err != nil {
		return err
	}
	s.Progress(fmt.Sprintf("booting %d masters and %d workers", len(groups[0].members), workerCount(groups)))
	// While the stack boots the nodes, get the API ready for them as soon
	// as it answers.
	kc, err = d.client(cfg, st)
	if err != nil {
		return err
	}
	prepCtx, stopPrep := context.WithTimeout(ctx, d.opts.ReadyTimeout)
	defer stopPrep()
	prepared := make(chan error, 1)
	go func() { prepared <- d.prepare(prepCtx, cfg, m, st, network, kc) }()
	stack, err := d.createOrUpdate(ctx, s, spec)
	if err != nil {
		stopPrep()
		if perr := <-prepared; perr != nil {
			log.Debug("API preparation stopped with the stack", "error", perr)
		}
		return err
	}
	stage("nodes")
	if err := <-prepared; err != nil {
		return err
	}
	stage("addons")
	// The cloud controller initializes the nodes, which register tainted
	// until it has.
	if err := d.startCloudController(c, cfg, st, stack, kc); err != nil {
		return err
	}
	if upgrading {
		if err := d.roll(ctx, s, kc, st, d.nodeServers(stack.UUID, cfg), groups, c.UpgradeBatchSize); err != nil {
			return err
		}
		finishUpgrade(st)
		if err := saveState(ctx, d.opts.Store, c.UUID, st); err != nil {
			return err
		}
		if c.Labels != nil {
			// The cluster's own labels say its version from now on.
			c.Labels = maps.Clone(c.Labels)
			c.Labels["kube_tag"] = st.KubeTag
		}
		stage("upgrade")
	}
	if err := d.converge(ctx, s, network, kc); err != nil {
		return err
	}
	d.record(c, cfg, m, st, network, groups, stack)
	if err := saveState(ctx, d.opts.Store, c.UUID, st); err != nil {
		return err
	}
	stage("ready")
	return nil
}

func workerCount(groups []*plannedGroup) int {
	n := 0
	for _, g := range groups[1:] {
		n += len(g.members)
	}
	return n
}

// planGroups works out every group's members: the master group first,
// then the worker nodegroups in name order. Nodes named in the cluster's
// nodes_to_remove (server ids or node names) are the ones removed.
func (d *Driver) planGroups(c *model.Cluster, ngs []*model.NodeGroup, cfg *config, st *state) ([]*plannedGroup, error) {
	var master *plannedGroup
	var workers []*plannedGroup
	sorted := slices.Clone(ngs)
	slices.SortFunc(sorted, func(a, b *model.NodeGroup) int { return strings.Compare(a.Name, b.Name) })
	for _, ng := range sorted {
		if ng.Status == model.DeleteInProgress {
			continue
		}
		gs := st.Groups[ng.UUID]
		isMaster := ng.Role == model.RoleMaster
		if gs == nil {
			gs = &groupState{}
			switch {
			case isMaster:
				gs.Resource, gs.NamePrefix = mastersResource, st.Prefix+"-master-"
			case ng.IsDefault:
				gs.Resource, gs.NamePrefix = defaultWorkerResource, st.Prefix+"-node-"
			default:
				n := dnsLabel(ng.Name, 20)
				gs.Resource, gs.NamePrefix = defaultWorkerResource+"_"+strings.ReplaceAll(n, "-", "_"), st.Prefix+"-"+n+"-"
			}
			st.Groups[ng.UUID] = gs
		}
		g := &plannedGroup{ng: ng, gs: gs, master: isMaster, flavor: cmp.Or(ng.FlavorID, cfg.WorkerFlavor)}
		count := ng.NodeCount
		if isMaster {
			g.flavor = cmp.Or(ng.FlavorID, cfg.MasterFlavor)
			if count < 1 {
				count = cfg.MasterCount
			}
		}
		// Nodes the user named go first.
		for _, ref := range c.NodesToRemove {
			if idx, ok := d.memberOf(g, ref); ok && !slices.Contains(gs.Removed, idx) {
				gs.Removed = append(gs.Removed, idx)
			}
		}
		g.members = members(count, gs.Removed)
		// Shrinking without names removes the newest members, as
		// ResourceGroup does; they are recorded as removed so that their
		// names are never reused while they drain.
		if isMaster {
			master = g
		} else {
			workers = append(workers, g)
		}
	}
	if master == nil {
		return nil, model.Invalidf("Cluster %s has no master nodegroup.", c.UUID)
	}
	return append([]*plannedGroup{master}, workers...), nil
}

// memberOf resolves a nodes_to_remove entry, a server id or a node name,
// to a member index of g.
func (d *Driver) memberOf(g *plannedGroup, ref string) (string, bool) {
	if idx, ok := strings.CutPrefix(ref, g.gs.NamePrefix); ok {
		if _, err := strconv.Atoi(idx); err == nil && slices.Contains(g.gs.Members, idx) {
			return idx, true
		}
	}
	for idx, id := range g.gs.Servers {
		if id == ref {
			return idx, true
		}
	}
	return "", false
}

// plan assigns every node its address and pod range; nodes keep theirs.
func (d *Driver) plan(cfg *config, st *state, groups []*plannedGroup) (*netplan.Network, error) {
	in := netplan.Input{FixedCIDR: cfg.FixedCIDR, PodCIDR: cfg.PodCIDR, ServiceCIDR: cfg.ServiceCIDR, Existing: st.Nodes}
	for _, g := range groups {
		for _, idx := range g.members {
			if g.master {
				in.Masters = append(in.Masters, g.nodeName(idx))
			} else {
				in.Workers = append(in.Workers, g.nodeName(idx))
			}
		}
	}
	n, err := netplan.Plan(in)
	if err != nil {
		return nil, err
	}
	st.Nodes = n.Assignments()
	return n, nil
}

// issue makes the cluster's certificates once, and those of every node
// that has none yet.
func (d *Driver) issue(cas *pki.ClusterCAs, cfg *config, st *state, n *netplan.Network) error {
	var masters, workers, newWorkers []pki.PlanNode
	for _, a := range n.Nodes {
		pn := pki.PlanNode{Name: a.Name, IP: a.IP.String()}
		if a.Role == netplan.RoleMaster {
			masters = append(masters, pn)
			continue
		}
		workers = append(workers, pn)
		if st.Certs != nil {
			if _, ok := st.Certs.Worker(a.Name); !ok {
				newWorkers = append(newWorkers, pn)
			}
		}
	}
	if st.Certs != nil {
		if len(newWorkers) == 0 {
			return nil
		}
		certs, err := pki.IssueWorkers(cas, newWorkers, time.Now())
		if err != nil {
			return driver.Permanent(fmt.Errorf("issue the new workers' certificates: %w", err))
		}
		st.Certs.Workers = append(st.Certs.Workers, certs...)
		return nil
	}
	plan := pki.ClusterPlan{
		ClusterName: st.Prefix, ClusterDomain: cfg.ClusterDomain, ServiceCIDR: cfg.ServiceCIDR,
		APIIPs: []string{st.FloatingIP}, Masters: masters, Workers: workers,
	}
	if cfg.MasterLB {
		plan.APIIPs = append(plan.APIIPs, apiVIP(cfg))
	}
	certs, err := pki.IssueCluster(cas, plan, time.Now())
	if err != nil {
		return driver.Permanent(fmt.Errorf("issue the cluster's certificates: %w", err))
	}
	pems, err := cas.MarshalPEM()
	if err != nil {
		return err
	}
	st.Certs, st.CACert = certs, pems[pki.CATypeKubernetes].CertPEM
	return nil
}

// stackSpec is the cluster template's input; groups nil is the network
// stage (no nodes).
func (d *Driver) stackSpec(cfg *config, st *state, groups []*plannedGroup) *stackSpec {
	spec := &stackSpec{
		Image: cfg.Image, FixedCIDR: cfg.FixedCIDR, PodCIDR: cfg.PodCIDR, ExternalNet: cfg.ExternalNet,
		FloatingIP: true, APIPort: cfg.APIPort, BootTimeout: 900, ClusterPrefix: st.Prefix,
		APILB: cfg.MasterLB, APIVIP: apiVIP(cfg), NodeTemplate: cfg.NodeTemplate,
		Masters: stackGroup{Resource: mastersResource, Flavor: cfg.MasterFlavor, Security: "master"},
	}
	if groups == nil {
		spec.Workers = []stackGroup{{Resource: defaultWorkerResource, Flavor: cfg.WorkerFlavor, Security: "worker"}}
		return spec
	}
	for _, g := range groups {
		sg := stackGroup{Resource: g.gs.Resource, Flavor: g.flavor, Count: len(g.members), Removed: g.gs.Removed,
			Nodes: map[string]stackNode{}, Security: "worker"}
		if g.master {
			sg.Security = "master"
			spec.Masters = sg
			continue
		}
		spec.Workers = append(spec.Workers, sg)
	}
	return spec
}

// renderNodes renders every node's bootstrap document into spec.
func (d *Driver) renderNodes(cfg *config, m *artifacts.Manifest, st *state, cas map[string]pki.KeyPairPEM, n *netplan.Network, groups []*plannedGroup, spec *stackSpec) (map[string][]byte, error) {
	includes := map[string][]byte{}
	bins, err := binaries(m)
	if err != nil {
		return nil, err
	}
	var masters []bootstrap.Member
	for _, a := range n.Nodes {
		if a.Role == netplan.RoleMaster {
			masters = append(masters, bootstrap.Member{Name: a.Name, IP: a.IP.String()})
		}
	}
	certs := st.Certs
	k8sCA := cas[pki.CATypeKubernetes]
	// Clusters made before the controller-manager was in system:masters
	// keep one credential per controller.
	kcmIsMaster := pki.InGroup(certs.ControllerManager.CertPEM, pki.GroupMasters)
	for gi, g := range groups {
		target := &spec.Masters
		if !g.master {
			target = &spec.Workers[gi-1]
		}
		for _, idx := range g.members {
			name := g.nodeName(idx)
			a, _ := n.Node(name)
			kubelet, ok := certs.Kubelet(name)
			if !ok {
				return nil, fmt.Errorf("no certificates for node %s", name)
			}
			// Masters register as nodes too, with a kubelet of their own.
			in := bootstrap.Input{
				ClusterName: st.Prefix, KubernetesVersion: cfg.KubeTag,
				ContainerdVersion: strings.TrimPrefix(m.Release.Containerd, "v"),
				Role:              bootstrap.RoleWorker,
				NodeName:          name, NodeIP: a.IP.String(), Masters: masters,
				APIAddress: apiAddress(cfg, masters), APIPort: cfg.APIPort,
				ServiceCIDR: n.ServiceCIDR.String(), ClusterPodCIDR: n.PodCIDR.String(), PodCIDR: a.PodCIDR.String(),
				ClusterDNS: n.ClusterDNS.String(), ClusterDomain: cfg.ClusterDomain,
				RegistryMirror: d.opts.RegistryURL, RestrictOOMScoreAdj: d.opts.RestrictOOMScoreAdj,
				Binaries: bins, CgroupRoot: bootstrap.CgroupRootOfMachine,
				PKI: bootstrap.PKI{CACert: string(k8sCA.CertPEM), Kubelet: pair(kubelet.Client),
					KubeletServing: pair(kubelet.Serving), KubeProxy: pair(certs.KubeProxy)},
			}
			if g.master {
				mc, ok := certs.Master(name)
				if !ok {
					return nil, fmt.Errorf("no master certificates for %s", name)
				}
				in.Role = bootstrap.RoleMaster
				p := &in.PKI
				p.CAKey = string(k8sCA.KeyPEM)
				p.EtcdCACert = string(cas[pki.CATypeEtcd].CertPEM)
				p.FrontProxyCACert = string(cas[pki.CATypeFrontProxy].CertPEM)
				p.EtcdServer, p.EtcdPeer = pair(mc.EtcdServer), pair(mc.EtcdPeer)
				p.APIServer, p.APIServerEtcdClient = pair(certs.APIServer), pair(certs.APIServerEtcdClient)
				p.APIServerKubeletClient, p.FrontProxyClient = pair(certs.APIServerKubeletClient), pair(certs.FrontProxyClient)
				p.ControllerManager, p.Scheduler = pair(certs.ControllerManager), pair(certs.Scheduler)
				p.ControllerManagerIsMaster = kcmIsMaster
				p.ServiceAccount = bootstrap.ServiceAccountKeys{PublicKey: string(certs.ServiceAccount.PublicKeyPEM),
					PrivateKey: string(certs.ServiceAccount.PrivateKeyPEM)}
			}
			docs, err := bootstrap.Render(in)
			if err != nil {
				return nil, fmt.Errorf("render the bootstrap document of %s: %w", name, err)
			}
			token, err := st.includeToken(name)
			if err != nil {
				return nil, err
			}
			includes[node.IncludeSecret(token)] = docs.UserData
			// What the server boots with: its name, where to signal (the
			// node template fills in its wait condition handle) and where
			// the rest of its document is.
			stub, err := yaml.Marshal(&node.Bootstrap{
				Version: node.BootstrapVersion, Hostname: name,
				Signal: &node.Endpoint{URL: signalURLPlaceholder,
					Headers: map[string]string{"X-Auth-Token": signalTokenPlaceholder}},
				Include: &node.Endpoint{URL: strings.TrimRight(d.opts.RegistryURL, "/") + node.IncludePrefix + token},
			})
			if err != nil {
				return nil, err
			}
			target.Nodes[idx] = stackNode{Name: name, IP: a.IP.String(), UserData: string(stub)}
		}
	}
	for _, a := range n.Nodes {
		spec.PodRoutes = append(spec.PodRoutes, podRoute{Destination: a.PodCIDR.String(), Nexthop: a.IP.String()})
	}
	return includes, nil
}

func pair(kp pki.KeyPairPEM) bootstrap.KeyPair {
	return bootstrap.KeyPair{Cert: string(kp.CertPEM), Key: string(kp.KeyPEM)}
}

// binaries are the artifact paths a node runs; the cache is mounted into
// every machine at the same path.
func binaries(m *artifacts.Manifest) (bootstrap.Binaries, error) {
	var b bootstrap.Binaries
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"etcd", &b.Etcd}, {"kube-apiserver", &b.KubeAPIServer}, {"kube-controller-manager", &b.KubeControllerManager},
		{"kube-scheduler", &b.KubeScheduler}, {"kubelet", &b.Kubelet}, {"kube-proxy", &b.KubeProxy},
		{"containerd", &b.Containerd}, {"runc", &b.Runc}, {"bridge", &b.CNIBinDir},
	} {
		p, err := m.Binary(f.name)
		if err != nil {
			return b, err
		}
		*f.dst = p
	}
	b.CNIBinDir = b.CNIBinDir[:strings.LastIndex(b.CNIBinDir, "/")]
	return b, nil
}

// createOrUpdate creates the cluster's stack, or updates it to spec, and
// waits for the operation to end.
func (d *Driver) createOrUpdate(ctx context.Context, s *driver.Scope, spec *stackSpec) (*model.Stack, error) {
	c := s.Cluster
	tmpl, files, params, err := spec.render()
	if err != nil {
		return nil, driver.Permanent(err)
	}
	req := engine.StackRequest{
		ProjectID: c.ProjectID, UserID: c.UserID, Name: spec.ClusterPrefix,
		Template: tmpl, Files: files, Parameters: params, DisableRollback: true,
		Tags: []string{"slipway-cluster=" + c.UUID},
	}
	if c.CreateTimeout > 0 {
		req.TimeoutMins = c.CreateTimeout
	}
	// A delete that arrives while the stack boots must not wait for it.
	var checked time.Time
	stop := func() bool {
		if time.Since(checked) < time.Second {
			return false
		}
		checked = time.Now()
		return d.superseded(ctx, c)
	}
	if c.StackID != "" {
		st, err := d.opts.Stacks.Get(ctx, c.StackID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			c.StackID = ""
		case err != nil:
			return nil, err
		case st.InProgress():
			// An operation an earlier attempt started: let it end first.
			if _, err := d.waitStack(ctx, st.UUID, stop); err != nil && (ctx.Err() != nil || errors.Is(err, driver.ErrSuperseded)) {
				return nil, err
			}
		}
	}
	var stack *model.Stack
	if c.StackID == "" {
		stack, err = d.opts.Stacks.Create(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("create the cluster's stack: %w", err)
		}
		c.StackID = stack.UUID
		s.Progress(c.StatusReason)
	} else {
		stack, err = d.opts.Stacks.Update(ctx, c.StackID, req)
		if err != nil {
			return nil, fmt.Errorf("update the cluster's stack: %w", err)
		}
	}
	return d.waitStack(ctx, stack.UUID, stop)
}

// superseded reports whether the stored cluster has been asked to be
// deleted since the operation in progress began.
func (d *Driver) superseded(ctx context.Context, c *model.Cluster) bool {
	if c.Status == model.DeleteInProgress {
		return false
	}
	cur, err := store.Get[model.Cluster](ctx, d.opts.Store, c.UUID)
	return err == nil && cur.Status == model.DeleteInProgress
}

// record fills in the cluster's and nodegroups' Magnum fields.
func (d *Driver) record(c *model.Cluster, cfg *config, m *artifacts.Manifest, st *state, n *netplan.Network, groups []*plannedGroup, stack *model.Stack) {
	c.APIAddress = "https://" + netip.AddrPortFrom(netip.MustParseAddr(st.FloatingIP), uint16(cfg.APIPort)).String()
	c.COEVersion = cfg.KubeTag

	c.ContainerVersion = strings.TrimPrefix(m.Release.Containerd, "v")
	// The cluster's counts and addresses are rolled up from its
	// nodegroups when the operation completes (model.Cluster.RollUp).
	out := outputs(stack)
	for _, g := range groups {
		var addrs []string
		for _, idx := range g.members {
			a, _ := n.Node(g.nodeName(idx))
			addrs = append(addrs, a.IP.String())
		}
		if refs, ok := out[g.gs.Resource+"_refs"].(map[string]any); ok {
			g.gs.Servers = map[string]string{}
			for idx, id := range refs {
				g.gs.Servers[idx] = fmt.Sprint(id)
			}
		}
		g.ng.NodeAddresses = addrs
		g.ng.StackID = c.StackID
	}
}

// apiVIP is the API load balancer's address on the cluster subnet: the
// 5th, among the addresses netplan keeps from nodes.
func apiVIP(cfg *config) string {
	if !cfg.MasterLB {
		return ""
	}
	a := cfg.fixedNet().Addr()
	for range 5 {
		a = a.Next()
	}
	return a.String()
}

// apiAddress is where nodes reach the API: the load balancer, or the one
// master.
func apiAddress(cfg *config, masters []bootstrap.Member) string {
	if cfg.MasterLB {
		return apiVIP(cfg)
	}
	return masters[0].IP
}
