package kubernetes

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway/slipway/internal/driver"
	"github.com/slipway/slipway/internal/driver/kubernetes/kube"
	"github.com/slipway/slipway/internal/model"
)

// An upgrade changes a running cluster's kube_tag. The servers stay: each
// node's document is rendered again for the new version (the servers'
// user_data only points at it, so the stack replaces nothing), then the
// nodes are rebooted onto it one by one, masters first as Kubernetes'
// version skew policy asks, each worker drained before and uncordoned after.
// A node whose kubelet already reports the new version is not rebooted
// again, so an upgrade that stopped part way resumes where it was.

// upgradeTag is the version an upgrade moves the cluster to: the kube_tag
// of the template it is being upgraded to, which wins over the cluster's
// own labels (copied from its old template when it was made). It is "" when
// no upgrade is under way.
func upgradeTag(c *model.Cluster, t *model.ClusterTemplate) string {
	if c.Operation != model.OpUpgrade || c.TargetTemplateID == "" || c.TargetTemplateID != t.UUID {
		return ""
	}
	return cmp.Or(t.Labels["kube_tag"], DefaultKubeTag)
}

// startUpgrade checks that the cluster may move from st.KubeTag to
// cfg.KubeTag and records that it is under way. It returns whether an
// upgrade is under way, this one or an earlier one that did not finish.
func startUpgrade(c *model.Cluster, st *state, cfg *config) (bool, error) {
	if st.UpgradingTo != "" {
		if cfg.KubeTag != st.UpgradingTo {
			return false, driver.Permanent(model.Conflictf("Cluster %s is part way through an upgrade from %s to %s; upgrade it to a template with kube_tag %s again to finish, then change it further.",
				c.Name, st.KubeTag, st.UpgradingTo, st.UpgradingTo))
		}
		return true, nil
	}
	if cfg.KubeTag == st.KubeTag {
		return false, nil
	}
	if err := checkUpgrade(c.Name, st.KubeTag, cfg.KubeTag); err != nil {
		return false, driver.Permanent(err)
	}
	st.UpgradingTo = cfg.KubeTag
	return true, nil
}

// checkUpgrade says whether the cluster name may move from Kubernetes
// version from to version to: forward, and one minor version at a time, as
// Kubernetes supports.
func checkUpgrade(name, from, to string) error {
	fromMinor, err := minorOf(from)
	if err != nil {
		return err
	}
	toMinor, err := minorOf(to)
	if err != nil {
		return err
	}
	switch {
	case versionLess(to, from):
		return model.Invalidf("Cluster %s runs Kubernetes %s; downgrading to %s is not supported.", name, from, to)
	case toMinor > fromMinor+1:
		return model.Invalidf("Cluster %s runs Kubernetes %s; an upgrade moves one minor version at a time, so upgrade to v1.%d.x before %s.",
			name, from, fromMinor+1, to)
	}
	return nil
}

// ValidateUpgrade implements driver.UpgradeValidator: the new template's
// kube_tag must be a version the cluster's may move to. A cluster part way
// through an earlier upgrade is checked by the driver when it applies.
func (d *Driver) ValidateUpgrade(c *model.Cluster, from, to *model.ClusterTemplate) error {
	cur := c.COEVersion
	if cur == "" {
		cfg, err := configOf(c, from)
		if err != nil {
			return err
		}
		cur = cfg.KubeTag
	}
	tag := cmp.Or(to.Labels["kube_tag"], DefaultKubeTag)
	if err := ValidateLabels(map[string]string{"kube_tag": tag}); err != nil {
		return err
	}
	return checkUpgrade(c.Name, cur, tag)
}

// finishUpgrade records that every node runs the new version.
func finishUpgrade(st *state) {
	if st.UpgradingTo != "" {
		st.KubeTag, st.UpgradingTo = st.UpgradingTo, ""
	}
}

// minorOf returns the minor version of a kube_tag (v1.37.2 → 37).
func minorOf(tag string) (int, error) {
	parts := strings.Split(strings.TrimPrefix(tag, "v"), ".")
	if len(parts) != 3 || parts[0] != "1" {
		return 0, fmt.Errorf("kube_tag %q is not a Kubernetes v1.x.y version", tag)
	}
	return strconv.Atoi(parts[1])
}

// versionLess reports whether kube_tag a is older than b; both are
// v1.x.y, as labels validation guarantees.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(strings.TrimPrefix(a, "v"), "."), strings.Split(strings.TrimPrefix(b, "v"), ".")
	for i := range min(len(pa), len(pb)) {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

// roll reboots every node whose kubelet does not report st.UpgradingTo
// onto its new document: the masters one at a time, then the workers batch
// at a time (batch < 1 means 1), each batch drained first and uncordoned
// once its nodes are Ready at the new version. The workers it cordons are
// kept in st.Cordoned until they are uncordoned, so that an upgrade resumed
// after a crash uncordons those it had upgraded already.
func (d *Driver) roll(ctx context.Context, s *driver.Scope, kc *kube.Client, st *state, servers *nodeServers,
	groups []*plannedGroup, batch int) error {
	version := st.UpgradingTo
	list, err := kc.Interface().CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list the nodes to upgrade: %w", err)
	}
	at := map[string]bool{}
	for _, n := range list.Items {
		at[n.Name] = n.Status.NodeInfo.KubeletVersion == version
	}
	var masters, workers, done []string
	for _, g := range groups {
		for _, idx := range g.members {
			name := g.nodeName(idx)
			switch {
			case at[name]:
				if slices.Contains(st.Cordoned, name) {
					done = append(done, name)
				}
			case g.master:
				masters = append(masters, name)
			default:
				workers = append(workers, name)
			}
		}
	}
	if err := d.uncordon(ctx, s, kc, st, done); err != nil {
		return err
	}
	for _, name := range masters {
		s.Progress(fmt.Sprintf("upgrading to %s: rebooting master %s", version, name))
		if err := d.reboot(ctx, servers, name); err != nil {
			return err
		}
		if err := d.awaitVersion(ctx, s, kc, name, version); err != nil {
			return err
		}
	}
	batch = max(batch, 1)
	for i := 0; i < len(workers); i += batch {
		group := workers[i:min(i+batch, len(workers))]
		s.Progress(fmt.Sprintf("upgrading to %s: draining and rebooting %s (%d of %d workers done)",
			version, strings.Join(group, ", "), i, len(workers)))
		st.Cordoned = append(st.Cordoned, group...)
		if err := saveState(ctx, d.opts.Store, s.Cluster.UUID, st); err != nil {
			return err
		}
		if err := d.rollWorkers(ctx, s, kc, servers, group, version); err != nil {
			return err
		}
		if err := d.uncordon(ctx, s, kc, st, group); err != nil {
			return err
		}
	}
	return nil
}

// uncordon makes the workers names schedulable again and forgets that the
// upgrade cordoned them.
func (d *Driver) uncordon(ctx context.Context, s *driver.Scope, kc *kube.Client, st *state, names []string) error {
	if len(names) == 0 {
		return nil
	}
	for _, name := range names {
		if err := kc.Uncordon(ctx, name); err != nil {
			return err
		}
	}
	st.Cordoned = slices.DeleteFunc(st.Cordoned, func(n string) bool { return slices.Contains(names, n) })
	return saveState(ctx, d.opts.Store, s.Cluster.UUID, st)
}

// rollWorkers drains and reboots one batch of workers, in parallel, and
// waits until they are Ready at version.
func (d *Driver) rollWorkers(ctx context.Context, s *driver.Scope, kc *kube.Client, servers *nodeServers, names []string, version string) error {
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			if _, err := kc.Drain(ctx, name, DrainTimeout); err != nil && ctx.Err() == nil {
				d.log.Warn("drain before the upgrade failed; the node is rebooted anyway", "node", name, "error", err)
			}
			if err := d.reboot(ctx, servers, name); err != nil {
				errs[i] = err
				return
			}
			errs[i] = d.awaitVersion(ctx, s, kc, name, version)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// reboot reboots the server of the node name.
func (d *Driver) reboot(ctx context.Context, servers *nodeServers, name string) error {
	inst, ok, err := servers.Instance(ctx, name)
	if err != nil {
		return fmt.Errorf("find the server of node %s: %w", name, err)
	}
	if !ok {
		return fmt.Errorf("node %s has no server in the cluster's stack", name)
	}
	if err := d.opts.Servers.Reboot(ctx, inst.ID); err != nil {
		return fmt.Errorf("reboot the server of node %s: %w", name, err)
	}
	return nil
}

// awaitVersion waits until the node name is Ready with its kubelet at
// version. The API may not answer for a while (its master is rebooting).
func (d *Driver) awaitVersion(ctx context.Context, s *driver.Scope, kc *kube.Client, name, version string) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.ReadyTimeout)
	defer cancel()
	t := time.NewTicker(d.opts.PollInterval)
	defer t.Stop()
	var last string
	for {
		n, err := kc.Interface().CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		switch {
		case err != nil:
			last = "the API does not answer: " + err.Error()
		case n.Status.NodeInfo.KubeletVersion != version:
			last = "its kubelet is at " + n.Status.NodeInfo.KubeletVersion
		case !nodeReady(n):
			last = "it is not Ready"
		default:
			return nil
		}
		if d.superseded(ctx, s.Cluster) {
			return driver.ErrSuperseded
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s did not come back at %s after its reboot: %s (gave up after %s)", name, version, last, d.opts.ReadyTimeout)
		case <-t.C:
		}
	}
}
