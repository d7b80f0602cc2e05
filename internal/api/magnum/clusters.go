package magnum

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/pki"
	"github.com/slipway/slipway/internal/policy"
	"github.com/slipway/slipway/internal/provider"
	"github.com/slipway/slipway/internal/store"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

var clusterSortKeys = append([]string{"id", "uuid", "created_at", "updated_at"},
	jsonFields(reflect.TypeOf(model.Cluster{}))...)

// clusterPatchable are the attributes a cluster PATCH may change.
var clusterPatchable = []string{"node_count", "health_status", "health_status_reason"}

var clusterPatchRules = patchRules{
	internal: []string{"api_address", "node_addresses", "master_addresses", "stack_id", "cluster_id",
		"status", "status_reason", "coe_version", "container_version", "faults",
		"labels_overridden", "labels_added", "labels_skipped"},
	mandatory: []string{"cluster_template_id"},
	defaults:  map[string]any{"node_count": 1, "master_count": 1, "labels": map[string]any{}},
}

// labelDiff computes Magnum's labels_overridden, labels_added and
// labels_skipped of labels against base.
func labelDiff(labels, base map[string]string) (overridden, added, skipped map[string]string) {
	overridden, added, skipped = map[string]string{}, map[string]string{}, map[string]string{}
	for k, v := range labels {
		bv, ok := base[k]
		switch {
		case !ok:
			added[k] = v
		case bv != v:
			overridden[k] = bv
		}
	}
	for k, v := range base {
		if _, ok := labels[k]; !ok {
			skipped[k] = v
		}
	}
	return overridden, added, skipped
}

func (s *Server) clusterToWire(r *http.Request, c *model.Cluster, t *model.ClusterTemplate, withFaults bool, faults map[string]string) v1.Cluster {
	out := v1.Cluster{
		UUID: c.UUID, Name: c.Name, ClusterTemplateID: c.ClusterTemplateID, Keypair: str(c.Keypair),
		DockerVolumeSize: c.DockerVolumeSize, Labels: nonNilLabels(c.Labels),
		MasterFlavorID: str(c.MasterFlavorID), FlavorID: str(c.FlavorID), CreateTimeout: c.CreateTimeout,
		FixedNetwork: str(c.FixedNetwork), FixedSubnet: str(c.FixedSubnet),
		FloatingIPEnabled: c.FloatingIPEnabled, MasterLBEnabled: c.MasterLBEnabled,
		DiscoveryURL: str(c.DiscoveryURL), NodeCount: c.NodeCount, MasterCount: c.MasterCount,
		NodeAddresses: nonNilSlice(c.NodeAddresses), MasterAddresses: nonNilSlice(c.MasterAddresses),
		Status: string(c.Status), StatusReason: str(c.StatusReason), HealthStatus: str(string(c.HealthStatus)),
		HealthStatusReason: c.HealthStatusReason, APIAddress: str(c.APIAddress), COEVersion: str(c.COEVersion),
		ContainerVersion: str(c.ContainerVersion), ProjectID: c.ProjectID, UserID: c.UserID,
		Links:     s.links(r, "clusters", c.UUID),
		CreatedAt: v1.NewTimestamp(&c.CreatedAt), UpdatedAt: v1.NewTimestamp(c.UpdatedAt),
	}
	out.StackID = str(c.StackID)
	var base map[string]string
	if t != nil {
		base = t.Labels
	}
	out.LabelsOverridden, out.LabelsAdded, out.LabelsSkipped = labelDiff(c.Labels, base)
	if withFaults && c.Status.Failed() {
		out.Faults = faults
	}
	return out
}

func nonNilSlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func clusterSummary(s *Server, r *http.Request, c *model.Cluster) v1.ClusterSummary {
	return v1.ClusterSummary{
		UUID: c.UUID, Name: c.Name, ClusterTemplateID: c.ClusterTemplateID, Keypair: str(c.Keypair),
		DockerVolumeSize: c.DockerVolumeSize, Labels: nonNilLabels(c.Labels), NodeCount: c.NodeCount,
		MasterCount: c.MasterCount, Status: string(c.Status), HealthStatus: str(string(c.HealthStatus)),
		MasterFlavorID: str(c.MasterFlavorID), FlavorID: str(c.FlavorID), CreateTimeout: c.CreateTimeout,
		StackID: str(c.StackID), Links: s.links(r, "clusters", c.UUID),
	}
}

// clusterQuery scopes a cluster query to what sub may see.
func clusterQuery(sub policy.Subject, q store.Query) store.Query {
	if !sub.IsAdmin() {
		q.ProjectID = sub.ProjectID
	}
	return q
}

// lookupCluster finds a cluster by UUID or name among those sub may see.
func (s *Server) lookupCluster(ctx context.Context, sub policy.Subject, ident string) (*model.Cluster, error) {
	if isUUID(ident) {
		c, err := store.Get[model.Cluster](ctx, s.deps.Store, ident)
		if err == nil && (sub.IsAdmin() || c.ProjectID == sub.ProjectID) {
			return c, nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return nil, model.NotFoundf("Cluster %s could not be found.", ident)
	}
	found, err := store.List[model.Cluster](ctx, s.deps.Store, clusterQuery(sub, store.Query{Name: ident}))
	if err != nil {
		return nil, err
	}
	switch len(found) {
	case 0:
		return nil, model.NotFoundf("Cluster %s could not be found.", ident)
	case 1:
		return found[0], nil
	}
	return nil, model.Conflictf("Multiple clusters exist with same name. Please use the cluster uuid instead.")
}

func (s *Server) listClusters(w http.ResponseWriter, r *http.Request) error {
	sub := subject(r)
	if err := policy.Authorize("cluster:get_all", sub, sub.Own()); err != nil {
		return err
	}
	p, err := parsePage(r, clusterSortKeys)
	if err != nil {
		return err
	}
	return s.cachedList(w, r, "clusters", sub, listKinds, func() (any, error) {
		clusters, err := store.List[model.Cluster](r.Context(), s.deps.Store, clusterQuery(sub, p.query()))
		if err != nil {
			return nil, markerNotFound(err, p)
		}
		out := v1.ClusterList{Clusters: make([]v1.ClusterSummary, 0, len(clusters))}
		for _, c := range clusters {
			out.Clusters = append(out.Clusters, clusterSummary(s, r, c))
		}
		if n := len(clusters); n > 0 {
			out.Next = s.next(r, "clusters", p, n, clusters[n-1].UUID)
		}
		return out, nil
	})
}

func (s *Server) listClustersDetail(w http.ResponseWriter, r *http.Request) error {
	sub := subject(r)
	if err := policy.Authorize("cluster:detail", sub, sub.Own()); err != nil {
		return err
	}
	p, err := parsePage(r, clusterSortKeys)
	if err != nil {
		return err
	}
	return s.cachedList(w, r, "clusters/detail", sub, listKinds, func() (any, error) {
		clusters, err := store.List[model.Cluster](r.Context(), s.deps.Store, clusterQuery(sub, p.query()))
		if err != nil {
			return nil, markerNotFound(err, p)
		}
		templates := map[string]*model.ClusterTemplate{}
		out := v1.ClusterDetailList{Clusters: make([]v1.Cluster, 0, len(clusters))}
		for _, c := range clusters {
			t, ok := templates[c.ClusterTemplateID]
			if !ok {
				t, _ = store.Get[model.ClusterTemplate](r.Context(), s.deps.Store, c.ClusterTemplateID)
				templates[c.ClusterTemplateID] = t
			}
			out.Clusters = append(out.Clusters, s.clusterToWire(r, c, t, false, nil))
		}
		if n := len(clusters); n > 0 {
			out.Next = s.next(r, "clusters/detail", p, n, clusters[n-1].UUID)
		}
		return out, nil
	})
}

func (s *Server) getCluster(w http.ResponseWriter, r *http.Request) error {
	sub := subject(r)
	c, err := s.lookupCluster(r.Context(), sub, r.PathValue("ident"))
	if err != nil {
		return err
	}
	if err := policy.Authorize("cluster:get", sub, policy.Target{ProjectID: c.ProjectID, UserID: c.UserID}); err != nil {
		return err
	}
	t, _ := store.Get[model.ClusterTemplate](r.Context(), s.deps.Store, c.ClusterTemplateID)
	faults := map[string]string{}
	if c.Status.Failed() {
		ngs, err := store.List[model.NodeGroup](r.Context(), s.deps.Store, store.Query{Parent: c.UUID})
		if err != nil {
			return err
		}
		for _, ng := range ngs {
			if ng.Status.Failed() {
				faults[ng.Name] = ng.StatusReason
			}
		}
	}
	api.WriteJSON(w, http.StatusOK, s.clusterToWire(r, c, t, true, faults))
	return nil
}

func (s *Server) createCluster(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sub := subject(r)
	if err := policy.Authorize("cluster:create", sub, sub.Own()); err != nil {
		return err
	}
	var in v1.ClusterCreate
	if err := decodeStrict(r, &in, "uuid", "stack_id", "api_address", "node_addresses", "master_addresses",
		"project_id", "user_id", "links", "created_at", "updated_at", "status", "status_reason",
		"coe_version", "container_version", "health_status", "health_status_reason", "faults"); err != nil {
		return err
	}
	if deref(in.ClusterTemplateID) == "" {
		return model.Invalidf("Mandatory field missing: cluster_template_id.")
	}
	t, err := s.lookupTemplate(ctx, sub, *in.ClusterTemplateID, true)
	if errors.Is(err, model.ErrNotFound) {
		return model.Invalidf("ClusterTemplate %s could not be found.", *in.ClusterTemplateID)
	}
	if err != nil {
		return err
	}
	if t.Hidden && !sub.IsAdmin() && t.ProjectID != sub.ProjectID {
		return model.Forbiddenf("Cluster template %s is hidden and cannot be used.", t.UUID)
	}
	c, err := s.newCluster(ctx, sub, &in, t, versionFrom(ctx))
	if err != nil {
		return err
	}
	ngs := defaultNodeGroups(c, t)
	c.RollUp(ngs)
	cas, err := pki.NewClusterCAs(c.Name, s.opts.Now())
	if err != nil {
		return fmt.Errorf("create certificate authorities for cluster %s: %w", c.Name, err)
	}
	pems, err := cas.MarshalPEM()
	if err != nil {
		return err
	}
	limit, err := s.clusterQuota(ctx, sub.ProjectID)
	if err != nil {
		return err
	}
	err = s.deps.Store.InTx(ctx, func(tx store.Writer) error {
		n, err := tx.Count(ctx, model.KindCluster, store.Query{ProjectID: sub.ProjectID})
		if err != nil {
			return err
		}
		if n >= limit {
			return model.QuotaExceededf("Resource Cluster quota exceeded: %d clusters of %d allowed in project %s.", n, limit, sub.ProjectID)
		}
		if err := tx.Create(ctx, c); err != nil {
			return err
		}
		for _, ng := range ngs {
			ng.ClusterID = c.UUID
			if err := tx.Create(ctx, ng); err != nil {
				return err
			}
		}
		return putCAs(ctx, tx, c.UUID, pems)
	})
	if err != nil {
		return err
	}
	s.enqueue(ctx, c.UUID)
	api.WriteJSON(w, http.StatusAccepted, v1.UUIDResponse{UUID: c.UUID})
	return nil
}

// newCluster builds a cluster from a create request and its template,
// checking everything Magnum checks.
func (s *Server) newCluster(ctx context.Context, sub policy.Subject, in *v1.ClusterCreate, t *model.ClusterTemplate, minor int) (*model.Cluster, error) {
	c := &model.Cluster{
		Name: deref(in.Name), ProjectID: sub.ProjectID, UserID: sub.UserID, ClusterTemplateID: t.UUID,
		Keypair: t.KeypairID, DockerVolumeSize: t.DockerVolumeSize, MasterFlavorID: t.MasterFlavorID,
		FlavorID: t.FlavorID, CreateTimeout: 60, FixedNetwork: t.FixedNetwork, FixedSubnet: t.FixedSubnet,
		FloatingIPEnabled: t.FloatingIPEnabled, MasterLBEnabled: t.MasterLBEnabled,
		DiscoveryURL: deref(in.DiscoveryURL), Status: model.CreateInProgress, Operation: model.OpCreate,
	}
	if c.Name == "" {
		c.Name = generateName("cluster")
	}
	if err := validateClusterName(c.Name); err != nil {
		return nil, err
	}
	if _, ok := s.deps.Drivers.Lookup(t.COE); !ok {
		return nil, model.Invalidf("Cluster type (%s, %s, %s) not supported: no driver is installed for coe %s.", t.ServerType, t.ClusterDistro, t.COE, t.COE)
	}
	setString := func(dst *string, src *string) {
		if src != nil && *src != "" {
			*dst = *src
		}
	}
	setString(&c.Keypair, in.Keypair)
	setString(&c.MasterFlavorID, in.MasterFlavorID)
	setString(&c.FlavorID, in.FlavorID)
	setString(&c.FixedNetwork, in.FixedNetwork)
	setString(&c.FixedSubnet, in.FixedSubnet)
	if in.DockerVolumeSize != nil {
		if *in.DockerVolumeSize < 1 {
			return nil, model.Invalidf("Invalid input for field/attribute docker_volume_size. Value: %d. It must be at least 1.", *in.DockerVolumeSize)
		}
		c.DockerVolumeSize = in.DockerVolumeSize
	}
	if in.FloatingIPEnabled != nil {
		c.FloatingIPEnabled = *in.FloatingIPEnabled
	}
	if in.MasterLBEnabled != nil {
		c.MasterLBEnabled = *in.MasterLBEnabled
	}
	if in.CreateTimeout != nil {
		if *in.CreateTimeout < 0 {
			return nil, model.Invalidf("Invalid input for field/attribute create_timeout. Value: %d. It must be 0 or more minutes.", *in.CreateTimeout)
		}
		c.CreateTimeout = *in.CreateTimeout
	}
	nodes, masters := 1, 1
	if in.NodeCount != nil {
		nodes = *in.NodeCount
	}
	if in.MasterCount != nil {
		masters = *in.MasterCount
	}
	if err := checkNodeCount(nodes, minor); err != nil {
		return nil, err
	}
	if masters < 1 {
		return nil, model.Invalidf("Invalid input for field/attribute master_count. Value: %d. It must be at least 1.", masters)
	}
	if masters > 1 && !c.MasterLBEnabled {
		return nil, model.Invalidf("master_count must be 1 when master_lb_enabled is False.")
	}
	c.NodeCount, c.MasterCount = nodes, masters
	switch {
	case len(in.Labels) == 0:
		c.Labels = maps.Clone(t.Labels)
	case in.MergeLabels != nil && *in.MergeLabels:
		c.Labels = maps.Clone(t.Labels)
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		maps.Copy(c.Labels, in.Labels)
	default:
		c.Labels = maps.Clone(map[string]string(in.Labels))
	}
	for _, f := range []string{c.FlavorID, c.MasterFlavorID} {
		if f == "" {
			continue
		}
		if _, err := provider.FindFlavor(ctx, s.deps.Catalog, f); err != nil {
			return nil, err
		}
	}
	if c.FixedNetwork != "" {
		if _, err := provider.FindNetwork(ctx, s.deps.Catalog, c.FixedNetwork); err != nil {
			return nil, err
		}
	}
	if c.Keypair != "" {
		if err := provider.HasKeypair(ctx, s.deps.Catalog, c.Keypair); err != nil {
			return nil, err
		}
	}
	if v, ok := s.deps.Drivers.Validator(t.COE); ok {
		if err := v.ValidateCluster(c, t); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func checkNodeCount(n, minor int) error {
	if n < 0 {
		return model.Invalidf("Invalid input for field/attribute node_count. Value: %d. It must be 0 or more.", n)
	}
	if n == 0 && minor < 10 {
		return model.Invalidf("node_count must be at least 1 before API version 1.10; request 1.10 or later for empty nodegroups.")
	}
	return nil
}

// defaultNodeGroups returns the two nodegroups every cluster starts with.
func defaultNodeGroups(c *model.Cluster, t *model.ClusterTemplate) []*model.NodeGroup {
	minNodes := 0
	if v, err := strconv.Atoi(c.Labels["min_node_count"]); err == nil && v >= 0 {
		minNodes = v
	}
	mk := func(name, role, flavor string, count int) *model.NodeGroup {
		return &model.NodeGroup{
			Name: name, ProjectID: c.ProjectID, Labels: maps.Clone(c.Labels), FlavorID: flavor,
			ImageID: t.ImageID, NodeCount: count, Role: role, IsDefault: true,
			DockerVolumeSize: c.DockerVolumeSize, Status: model.CreateInProgress, Operation: model.OpCreate,
		}
	}
	master := mk(model.DefaultMasterNodeGroup, model.RoleMaster, c.MasterFlavorID, c.MasterCount)
	worker := mk(model.DefaultWorkerNodeGroup, model.RoleWorker, c.FlavorID, c.NodeCount)
	worker.MinNodeCount = minNodes
	return []*model.NodeGroup{master, worker}
}

// clusterQuota returns how many clusters a project may own.
func (s *Server) clusterQuota(ctx context.Context, projectID string) (int, error) {
	qs, err := store.List[model.Quota](ctx, s.deps.Store, store.Query{ProjectID: projectID, Name: model.QuotaResourceCluster})
	if err != nil {
		return 0, err
	}
	if len(qs) > 0 {
		return qs[0].HardLimit, nil
	}
	return model.DefaultClusterQuota, nil
}

// enqueue hands a cluster to the conductors. The state is already stored,
// so a failure here only delays the work: the conductors' sweep finds every
// cluster in progress.
func (s *Server) enqueue(ctx context.Context, id string) {
	if err := s.deps.Queue.EnqueueCluster(ctx, id); err != nil {
		s.opts.Log.WarnContext(ctx, "enqueue failed; the conductor sweep will pick the cluster up",
			"cluster", id, "error", err, "request_id", api.RequestID(ctx))
	}
}

// startOperation stores a new operation on a cluster (and the nodegroups
// it touches) and hands it to the conductors.
func (s *Server) startOperation(ctx context.Context, c *model.Cluster, op model.Operation, ngs ...*model.NodeGroup) error {
	c.Status = op.InProgressStatus()
	c.StatusReason = ""
	c.Operation = op
	err := s.deps.Store.InTx(ctx, func(tx store.Writer) error {
		for _, ng := range ngs {
			if err := tx.Update(ctx, ng); err != nil {
				return err
			}
		}
		all, err := store.List[model.NodeGroup](ctx, tx, store.Query{Parent: c.UUID})
		if err != nil {
			return err
		}
		c.RollUp(all)
		return tx.Update(ctx, c)
	})
	if errors.Is(err, store.ErrRevisionMismatch) {
		return model.Conflictf("Cluster %s changed while the request was handled; retry it.", c.UUID)
	}
	if err != nil {
		return err
	}
	s.enqueue(ctx, c.UUID)
	return nil
}

func (s *Server) updateCluster(w http.ResponseWriter, r *http.Request) error {
	ops, err := parsePatch(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	rollback := false
	if v := r.URL.Query().Get("rollback"); v != "" && versionFrom(ctx) >= 3 {
		rollback, _ = strconv.ParseBool(strings.ToLower(v))
	}
	sub := subject(r)
	c, err := s.lookupCluster(ctx, sub, r.PathValue("ident"))
	if err != nil {
		return err
	}
	target := policy.Target{ProjectID: c.ProjectID, UserID: c.UserID}
	if err := policy.Authorize("cluster:update", sub, target); err != nil {
		return err
	}
	if err := policy.Authorize("cluster:update_health_status", sub, target); err != nil {
		return err
	}
	t, _ := store.Get[model.ClusterTemplate](ctx, s.deps.Store, c.ClusterTemplateID)
	cur := s.clusterToWire(r, c, t, false, nil)
	doc, err := toDoc(cur)
	if err != nil {
		return err
	}
	changed, err := applyPatch(doc, cur, ops, clusterPatchRules)
	if err != nil {
		return err
	}
	var bad []string
	for _, k := range changed {
		if !slices.Contains(clusterPatchable, k) {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		return model.Invalidf("Cannot change cluster property(ies) %s.", strings.Join(bad, ", "))
	}
	var patched v1.Cluster
	if err := fromDoc(doc, &patched); err != nil {
		return err
	}
	if slices.Contains(changed, "health_status") || slices.Contains(changed, "health_status_reason") {
		hs := model.HealthStatus(deref(patched.HealthStatus))
		switch hs {
		case "", model.HealthHealthy, model.HealthUnhealthy, model.HealthUnknown:
		default:
			return model.Invalidf("Invalid health_status %q; expected HEALTHY, UNHEALTHY or UNKNOWN.", hs)
		}
		c.HealthStatus, c.HealthStatusReason = hs, patched.HealthStatusReason
	}
	if !slices.Contains(changed, "node_count") {
		if len(changed) > 0 && c.Status.Stable() {
			if err := s.deps.Store.Update(ctx, c); err != nil {
				return err
			}
		}
		api.WriteJSON(w, http.StatusAccepted, v1.UUIDResponse{UUID: c.UUID})
		return nil
	}
	if !c.Status.Stable() {
		return model.Invalidf("Updating a cluster when status is %s is not supported.", c.Status)
	}
	if err := checkNodeCount(patched.NodeCount, versionFrom(ctx)); err != nil {
		return err
	}
	ng, err := s.defaultWorker(ctx, c)
	if err != nil {
		return err
	}
	if err := checkResizeBounds(ng, patched.NodeCount); err != nil {
		return err
	}
	ng.NodeCount = patched.NodeCount
	ng.Status, ng.Operation = model.UpdateInProgress, model.OpUpdate
	c.Rollback = rollback
	if err := s.startOperation(ctx, c, model.OpUpdate, ng); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusAccepted, v1.UUIDResponse{UUID: c.UUID})
	return nil
}

func (s *Server) defaultWorker(ctx context.Context, c *model.Cluster) (*model.NodeGroup, error) {
	ngs, err := store.List[model.NodeGroup](ctx, s.deps.Store, store.Query{Parent: c.UUID})
	if err != nil {
		return nil, err
	}
	for _, ng := range ngs {
		if ng.IsDefault && !ng.IsMaster() {
			return ng, nil
		}
	}
	return nil, model.NotFoundf("Cluster %s has no default worker nodegroup.", c.UUID)
}

func checkResizeBounds(ng *model.NodeGroup, n int) error {
	if ng.IsMaster() {
		return model.Invalidf("Resizing a nodegroup with role master is not supported.")
	}
	if n < ng.MinNodeCount {
		return model.Invalidf("Resizing %s to %d nodes is below its min_node_count %d.", ng.Name, n, ng.MinNodeCount)
	}
	if ng.MaxNodeCount != nil && n > *ng.MaxNodeCount {
		return model.Invalidf("Resizing %s to %d nodes is above its max_node_count %d.", ng.Name, n, *ng.MaxNodeCount)
	}
	return nil
}

func (s *Server) deleteCluster(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := s.authorizedCluster(r, "cluster:delete")
	if err != nil {
		return err
	}
	// Delete is accepted in any state; retry on a concurrent change so a
	// busy conductor cannot make it fail.
	for range 5 {
		err = s.startOperation(ctx, c, model.OpDelete)
		if !errors.Is(err, model.ErrConflict) {
			break
		}
		if c, err = store.Get[model.Cluster](ctx, s.deps.Store, c.UUID); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusNoContent, nil)
	return nil
}

func (s *Server) resizeCluster(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var in v1.ResizeRequest
	if err := decodeStrict(r, &in); err != nil {
		return err
	}
	if in.NodeCount == nil {
		return model.Invalidf("Mandatory field missing: node_count.")
	}
	if err := checkNodeCount(*in.NodeCount, versionFrom(ctx)); err != nil {
		return err
	}
	c, err := s.authorizedCluster(r, "cluster:resize")
	if err != nil {
		return err
	}
	if !c.Status.ResizeAllowed() {
		return model.Invalidf("Resizing a cluster when status is %s is not supported.", c.Status)
	}
	var ng *model.NodeGroup
	if in.NodeGroup == "" {
		ng, err = s.defaultWorker(ctx, c)
	} else {
		ng, err = s.lookupNodeGroup(ctx, c, in.NodeGroup)
	}
	if err != nil {
		return err
	}
	if err := checkResizeBounds(ng, *in.NodeCount); err != nil {
		return err
	}
	oldCount := ng.NodeCount
	ng.NodeCount = *in.NodeCount
	ng.Status, ng.Operation = model.UpdateInProgress, model.OpUpdate
	// The CLI sends what follows each --nodes-to-remove as it is: one
	// entry may be a comma-separated list.
	c.NodesToRemove = nil
	for _, e := range in.NodesToRemove {
		for _, ref := range strings.Split(e, ",") {
			if ref = strings.TrimSpace(ref); ref != "" {
				c.NodesToRemove = append(c.NodesToRemove, ref)
			}
		}
	}
	if removes := oldCount - ng.NodeCount; len(c.NodesToRemove) > max(removes, 0) {
		return model.Invalidf("nodes_to_remove names %d nodes, but resizing nodegroup %s from %d to %d nodes removes %d.",
			len(c.NodesToRemove), ng.Name, oldCount, ng.NodeCount, max(removes, 0))
	}
	if err := s.startOperation(ctx, c, model.OpResize, ng); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusAccepted, v1.UUIDResponse{UUID: c.UUID})
	return nil
}

func (s *Server) upgradeCluster(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if versionFrom(ctx) < 8 {
		return model.Invalidf("Cluster upgrade is not supported in the provided microversion; request 1.8 or later.")
	}
	var in v1.UpgradeRequest
	if err := decodeStrict(r, &in); err != nil {
		return err
	}
	if in.ClusterTemplate == "" {
		return model.Invalidf("Mandatory field missing: cluster_template.")
	}
	if in.MaxBatchSize != nil && *in.MaxBatchSize < 1 {
		return model.Invalidf("max_batch_size must be at least 1.")
	}
	sub := subject(r)
	c, err := s.authorizedCluster(r, "cluster:upgrade")
	if err != nil {
		return err
	}
	t, err := s.lookupTemplate(ctx, sub, in.ClusterTemplate, true)
	if err != nil {
		return err
	}
	if in.NodeGroup != "" {
		ng, err := s.lookupNodeGroup(ctx, c, in.NodeGroup)
		if err != nil {
			return err
		}
		if !ng.IsDefault && t.UUID != c.ClusterTemplateID {
			return model.Conflictf("Nodegroup %s can only be upgraded to the cluster's current template %s.", ng.Name, c.ClusterTemplateID)
		}
	}
	if !c.Status.Stable() {
		return model.Invalidf("Upgrading a cluster when status is %s is not supported.", c.Status)
	}
	cur, err := store.Get[model.ClusterTemplate](ctx, s.deps.Store, c.ClusterTemplateID)
	if err != nil {
		return err
	}
	if cur.COE != t.COE {
		return model.Conflictf("Cluster template %s is not valid for an upgrade: its coe %s differs from %s.", t.UUID, t.COE, cur.COE)
	}
	if v, ok := s.deps.Drivers.UpgradeValidator(t.COE); ok {
		if err := v.ValidateUpgrade(c, cur, t); err != nil {
			return err
		}
	}
	c.TargetTemplateID = t.UUID
	c.UpgradeBatchSize = 0
	if in.MaxBatchSize != nil {
		c.UpgradeBatchSize = *in.MaxBatchSize
	}
	if err := s.startOperation(ctx, c, model.OpUpgrade); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusAccepted, v1.UUIDResponse{UUID: c.UUID})
	return nil
}
