package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	cloudproviderapi "k8s.io/cloud-provider/api"

	"github.com/slipway/slipway/internal/artifacts"
	"github.com/slipway/slipway/internal/driver"
	"github.com/slipway/slipway/internal/driver/kubernetes/ccm"
	"github.com/slipway/slipway/internal/driver/kubernetes/kube"
	"github.com/slipway/slipway/internal/driver/kubernetes/netplan"
	"github.com/slipway/slipway/internal/model"
	nodepkg "github.com/slipway/slipway/internal/node"
	"github.com/slipway/slipway/internal/pki"
	"github.com/slipway/slipway/internal/store"
)

// Credentials reach a cluster's API as its admin.
type Credentials = kube.Credentials

// DrainTimeout bounds the eviction of a removed node's pods; what is left
// then is deleted.
const DrainTimeout = 60 * time.Second

// credentials are the admin's, at the API's floating IP.
func (d *Driver) credentials(cfg *config, st *state) Credentials {
	return Credentials{
		Server:     "https://" + netip.AddrPortFrom(netip.MustParseAddr(st.FloatingIP), uint16(cfg.APIPort)).String(),
		CACert:     st.CACert,
		ClientCert: st.Certs.Admin.CertPEM,
		ClientKey:  st.Certs.Admin.KeyPEM,
	}
}

// client returns an admin client of the cluster, once it has certificates.
func (d *Driver) client(cfg *config, st *state) (*kube.Client, error) {
	if st.Certs == nil || st.FloatingIP == "" {
		return nil, errors.New("the cluster has no API yet")
	}
	return kube.NewClient(d.credentials(cfg, st))
}

// prepare makes a cluster whose API has come up usable: the DNS addon,
// the default namespace's ServiceAccount and the root CA ConfigMaps (which
// the controller-manager would make seconds later; pods cannot be created,
// or cannot start, without them). It runs while the workers are still
// booting.
func (d *Driver) prepare(ctx context.Context, cfg *config, m *artifacts.Manifest, st *state, n *netplan.Network, kc *kube.Client) error {
	if err := kc.WaitReady(ctx); err != nil {
		return fmt.Errorf("the API at %s did not turn ready: %w", st.FloatingIP, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "default"}}
	if _, err := kc.Interface().CoreV1().ServiceAccounts("default").Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create the default ServiceAccount: %w", err)
	}
	// Every pod's service-account volume projects kube-root-ca.crt, which
	// the controller-manager publishes into each namespace once it has
	// started; until then pods wait in ContainerCreating. Publish it first,
	// with the same content (the cluster CA).
	for _, ns := range []string{"default", "kube-system"} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kube-root-ca.crt", Namespace: ns},
			Data: map[string]string{"ca.crt": string(st.CACert)}}
		if _, err := kc.Interface().CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("publish the root CA in %s: %w", ns, err)
		}
	}
	if st.Addons == cfg.KubeTag {
		return nil
	}
	image := ""
	for _, im := range m.Images {
		if strings.Contains(im.Ref, "/coredns:") {
			image = im.Ref
		}
	}
	if err := kc.ApplyCoreDNS(ctx, kube.DNSParams{Image: image, ClusterIP: n.ClusterDNS.String(),
		Domain: cfg.ClusterDomain, Upstream: cfg.DNSUpstream}); err != nil {
		return fmt.Errorf("apply CoreDNS: %w", err)
	}
	st.Addons = cfg.KubeTag
	return nil
}

// converge waits until every worker has its planned pod range and is
// Ready.
func (d *Driver) converge(ctx context.Context, s *driver.Scope, n *netplan.Network, kc *kube.Client) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.ReadyTimeout)
	defer cancel()
	cidrs := map[string]string{}
	want := map[string]bool{}
	masters := map[string]bool{}
	for _, a := range n.Nodes {
		cidrs[a.Name] = a.PodCIDR.String()
		want[a.Name] = true
		if a.Role == netplan.RoleMaster {
			masters[a.Name] = true
		}
	}
	t := time.NewTicker(d.opts.PollInterval)
	defer t.Stop()
	last := ""
	for {
		missing, err := kc.SetPodCIDRs(ctx, cidrs)
		var conflict *kube.PodCIDRConflictError
		if errors.As(err, &conflict) {
			return driver.Permanent(err)
		}
		// Nodes not registered yet (and all, after an error) are tried
		// again next round.
		for name := range cidrs {
			if err == nil && !slices.Contains(missing, name) {
				delete(cidrs, name)
			}
		}
		for name := range masters {
			if !slices.Contains(missing, name) && labelMaster(ctx, kc, name) == nil {
				delete(masters, name)
			}
		}
		nodes, nerr := kc.Nodes(ctx)
		notReady := notReadyNodes(want, nodes)
		if nerr == nil && len(notReady) == 0 {
			// Ready, and schedulable: the cloud controller has
			// initialized the node and the not-ready taint it registers
			// with is lifted.
			notReady = taintedNodes(ctx, kc, want)
		}
		if nerr == nil && len(notReady) == 0 && len(masters) == 0 {
			return nil
		}
		if d.superseded(ctx, s.Cluster) {
			return driver.ErrSuperseded
		}
		reason := fmt.Sprintf("waiting for nodes to be Ready: %s", strings.Join(notReady, ", "))
		if nerr != nil {
			reason = "waiting for the API: " + nerr.Error()
		}
		if reason != last {
			s.Progress(reason)
			last = reason
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s (gave up after %s)", reason, d.opts.ReadyTimeout)
		case <-t.C:
		}
	}
}

// notReadyNodes names the wanted nodes that are not Ready yet.
func notReadyNodes(want map[string]bool, nodes []kube.NodeInfo) []string {
	ready := map[string]bool{}
	for _, n := range nodes {
		if n.Ready {
			ready[n.Name] = true
		}
	}
	var out []string
	for name := range want {
		if !ready[name] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// drainRemoved cordons and drains the nodes this update removes, then
// deletes their Node objects.
func (d *Driver) drainRemoved(ctx context.Context, s *driver.Scope, kc *kube.Client, groups []*plannedGroup, st *state) error {
	var gone []string
	for _, g := range groups {
		for _, idx := range g.gs.Members {
			if !slices.Contains(g.members, idx) {
				gone = append(gone, g.nodeName(idx))
			}
		}
	}
	if len(gone) == 0 {
		return nil
	}
	// Drain them all at once: each waits for its pods' graceful ends.
	s.Progress("draining " + strings.Join(gone, ", "))
	var wg sync.WaitGroup
	for _, name := range gone {
		wg.Go(func() {
			if _, err := kc.Drain(ctx, name, DrainTimeout); err != nil && ctx.Err() == nil {
				d.log.Warn("drain failed; the node is removed anyway", "node", name, "error", err)
			}
			if err := kc.DeleteNode(ctx, name); err != nil && ctx.Err() == nil {
				d.log.Warn("delete node object", "node", name, "error", err)
			}
		})
	}
	wg.Wait()
	for _, name := range gone {
		delete(st.Nodes, name)
		if err := deleteInclude(ctx, d.opts.Store, st, name); err != nil {
			return err
		}
		if st.Certs != nil {
			st.Certs.Workers = slices.DeleteFunc(st.Certs.Workers, func(w pki.WorkerCerts) bool { return w.Name == name })
		}
	}
	return ctx.Err()
}

// Delete implements driver.Driver: the cluster's load balancers first
// (while the API may still answer), then its stack, then its records.
func (d *Driver) Delete(ctx context.Context, s *driver.Scope) error {
	c := s.Cluster
	st, err := loadState(ctx, d.opts.Store, c.UUID)
	if err != nil {
		return err
	}
	if st.Certs != nil && st.FloatingIP != "" {
		if cfg, err := configOf(c, s.Template); err == nil {
			d.releaseLoadBalancers(ctx, s, cfg, st)
		}
	}
	d.ccm.Stop(c.UUID)
	if err := d.deleteLoadBalancerStacks(ctx, c); err != nil {
		return fmt.Errorf("delete the cluster's load balancers: %w", err)
	}
	if c.StackID != "" {
		stack, err := d.opts.Stacks.Get(ctx, c.StackID)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			s.Progress("deleting the cluster's stack")
			if err := d.deleteStack(ctx, stack); err != nil {
				return err
			}
		}
	}
	// The nodes' documents; the rest of the state goes with the cluster's
	// secrets.
	for name := range st.Tokens {
		if err := deleteInclude(ctx, d.opts.Store, st, name); err != nil {
			return err
		}
	}
	return nil
}

// deleteInclude forgets a node's include token and the document it served.
func deleteInclude(ctx context.Context, st store.Store, s *state, node string) error {
	token, ok := s.Tokens[node]
	if !ok {
		return nil
	}
	if err := st.InTx(ctx, func(tx store.Writer) error { return tx.DeleteSecrets(ctx, nodepkg.IncludeSecret(token)) }); err != nil {
		return fmt.Errorf("delete the document of node %s: %w", node, err)
	}
	delete(s.Tokens, node)
	return nil
}

// releaseLoadBalancers deletes the cluster's LoadBalancer Services while
// its API answers, and gives its cloud controller a moment to delete
// their load balancers as it would for any Service; best effort.
func (d *Driver) releaseLoadBalancers(ctx context.Context, s *driver.Scope, cfg *config, st *state) {
	if !d.ccm.Running(s.Cluster.UUID) {
		return
	}
	d.deleteLoadBalancerServices(ctx, s, cfg, st)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	t := time.NewTicker(d.opts.PollInterval)
	defer t.Stop()
	for {
		stacks, err := store.List[model.Stack](ctx, d.opts.Store, store.Query{ProjectID: s.Cluster.ProjectID})
		if err != nil {
			return
		}
		left := 0
		for _, x := range stacks {
			if x.ParentID == "" && !deleted(x) && slices.Contains(x.Tags, lbTag(s.Cluster.UUID)) {
				left++
			}
		}
		if left == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// deleteLoadBalancerServices asks the cluster to release its
// LoadBalancer Services, so that the cloud controller deletes their load
// balancers; best effort, bounded.
func (d *Driver) deleteLoadBalancerServices(ctx context.Context, s *driver.Scope, cfg *config, st *state) {
	kc, err := d.client(cfg, st)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	names, err := kc.DeleteLoadBalancerServices(ctx)
	if err != nil {
		d.log.Info("could not delete LoadBalancer services; their load balancers are removed with the cluster", "cluster", s.Cluster.UUID, "error", err)
		return
	}
	if len(names) > 0 {
		s.Progress("deleting LoadBalancer services: " + strings.Join(names, ", "))
	}
}

// startCloudController runs the cluster's cloud controller in this
// process, if it does not run yet. Nodes stay tainted uninitialized until
// it has given them their servers' identities, so it starts as soon as the
// cluster's stack is complete.
func (d *Driver) startCloudController(c *model.Cluster, cfg *config, st *state, stack *model.Stack, kc *kube.Client) error {
	if d.ccm.Running(c.UUID) {
		return nil
	}
	subnet, _ := outputs(stack)["subnet"].(string)
	if subnet == "" {
		return fmt.Errorf("stack %s has no subnet output", stack.Name)
	}
	b := &lbBackend{d: d, cluster: c, subnet: subnet, extNet: cfg.ExternalNet}
	if err := d.ccm.Start(c.UUID, ccm.Config{ClusterID: c.UUID, ClusterName: st.Prefix,
		Client: kc.Interface(), Backend: b, Instances: d.nodeServers(stack.UUID, cfg), Log: d.log.With("cluster", c.UUID)}); err != nil {
		return fmt.Errorf("start the cloud controller: %w", err)
	}
	return nil
}

// waitGone waits until a stack's delete has finished.
func (d *Driver) waitGone(ctx context.Context, id string) error {
	t := time.NewTicker(d.opts.PollInterval)
	defer t.Stop()
	for {
		st, err := d.opts.Stacks.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if st.Action == model.ActionDelete && st.Status == model.StateComplete {
			return nil
		}
		if st.Action == model.ActionDelete && st.Status == model.StateFailed {
			return fmt.Errorf("stack %s delete failed: %s", st.Name, st.StatusReason)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Health implements driver.Monitor: the API's readiness and every node's
// Ready condition. An API that does not answer is UNHEALTHY, with what
// the conductor saw as the reason. It also makes sure the cluster's cloud
// controller runs in this process (after a restart, for one).
func (d *Driver) Health(ctx context.Context, s *driver.Scope) (model.HealthStatus, map[string]string, error) {
	c := s.Cluster
	cfg, err := configOf(c, s.Template)
	if err != nil {
		return model.HealthUnknown, nil, err
	}
	st, err := loadState(ctx, d.opts.Store, c.UUID)
	if err != nil {
		return model.HealthUnknown, nil, err
	}
	kc, err := d.client(cfg, st)
	if err != nil {
		return model.HealthUnknown, map[string]string{"api": err.Error()}, nil
	}
	healthy, reasons, err := kc.Health(ctx)
	if err != nil {
		return model.HealthUnhealthy, map[string]string{"api": err.Error()}, nil
	}
	if !d.ccm.Running(c.UUID) && c.StackID != "" {
		if stack, err := d.opts.Stacks.Get(ctx, c.StackID); err == nil {
			if err := d.startCloudController(c, cfg, st, stack, kc); err != nil {
				d.log.Warn("cloud controller", "cluster", c.UUID, "error", err)
			}
		}
	}
	if healthy {
		return model.HealthHealthy, reasons, nil
	}
	return model.HealthUnhealthy, reasons, nil
}

// labelMaster gives a registered master the control-plane role label, and
// keeps it out of Service load balancers, as kubeadm does. Kubelets may
// not set these labels themselves (NodeRestriction).
func labelMaster(ctx context.Context, kc *kube.Client, name string) error {
	patch := []byte(`{"metadata":{"labels":{"node-role.kubernetes.io/control-plane":"","node.kubernetes.io/exclude-from-external-load-balancers":""}}}`)
	_, err := kc.Interface().CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: kube.FieldManager})
	return err
}

// taintedNodes names the wanted nodes that still carry the
// node.kubernetes.io/not-ready taint or the cloud controller's
// node.cloudprovider.kubernetes.io/uninitialized one (or cannot be read).
// A node whose Ready condition is True loses the not-ready taint here: the
// controller-manager's node lifecycle controller would lift it too, but
// only once it has started, seconds after the nodes are Ready; it puts the
// taint back if a node stops being Ready.
func taintedNodes(ctx context.Context, kc *kube.Client, want map[string]bool) []string {
	list, err := kc.Interface().CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for i := range list.Items {
		n := &list.Items[i]
		if !want[n.Name] {
			continue
		}
		if slices.ContainsFunc(n.Spec.Taints, isUninitializedTaint) {
			out = append(out, n.Name+" (not initialized by the cloud controller yet)")
			continue
		}
		if !slices.ContainsFunc(n.Spec.Taints, isNotReadyTaint) {
			continue
		}
		if nodeReady(n) {
			n.Spec.Taints = slices.DeleteFunc(n.Spec.Taints, isNotReadyTaint)
			if _, err := kc.Interface().CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{FieldManager: kube.FieldManager}); err == nil {
				continue
			}
		}
		out = append(out, n.Name+" (not-ready taint)")
	}
	sort.Strings(out)
	return out
}

func isUninitializedTaint(t corev1.Taint) bool {
	return t.Key == cloudproviderapi.TaintExternalCloudProvider
}

func isNotReadyTaint(t corev1.Taint) bool { return t.Key == corev1.TaintNodeNotReady }

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
