package magnum

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/policy"
	"github.com/slipway/slipway/internal/provider"
	"github.com/slipway/slipway/internal/store"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

var nodeGroupSortKeys = append([]string{"id", "uuid", "created_at", "updated_at"},
	jsonFields(reflect.TypeOf(model.NodeGroup{}))...)

// nodeGroupPatchable are the only attributes a nodegroup PATCH may change.
var nodeGroupPatchable = []string{"min_node_count", "max_node_count"}

func (s *Server) nodeGroupToWire(r *http.Request, ng *model.NodeGroup, clusterLabels map[string]string) v1.NodeGroup {
	out := v1.NodeGroup{
		ID: ng.ID, UUID: ng.UUID, Name: ng.Name, ClusterID: ng.ClusterID, ProjectID: ng.ProjectID,
		DockerVolumeSize: ng.DockerVolumeSize, Labels: nonNilLabels(ng.Labels), FlavorID: str(ng.FlavorID),
		ImageID: str(ng.ImageID), NodeAddresses: nonNilSlice(ng.NodeAddresses), NodeCount: ng.NodeCount,
		Role: ng.Role, MinNodeCount: ng.MinNodeCount, MaxNodeCount: ng.MaxNodeCount, IsDefault: ng.IsDefault,
		StackID: str(ng.StackID), Status: string(ng.Status), StatusReason: str(ng.StatusReason),
		Version:   str(ng.Version),
		Links:     s.links(r, "clusters/"+ng.ClusterID+"/nodegroups", ng.UUID),
		CreatedAt: v1.NewTimestamp(&ng.CreatedAt), UpdatedAt: v1.NewTimestamp(ng.UpdatedAt),
	}
	out.LabelsOverridden, out.LabelsAdded, out.LabelsSkipped = labelDiff(ng.Labels, clusterLabels)
	return out
}

// lookupNodeGroup finds a nodegroup of c by integer id, UUID or name.
func (s *Server) lookupNodeGroup(ctx context.Context, c *model.Cluster, ident string) (*model.NodeGroup, error) {
	notFound := model.NotFoundf("Nodegroup %s could not be found.", ident)
	var ng *model.NodeGroup
	var err error
	if id, convErr := strconv.ParseInt(ident, 10, 64); convErr == nil {
		ng = &model.NodeGroup{}
		err = s.deps.Store.GetByID(ctx, id, ng)
	} else if isUUID(ident) {
		ng, err = store.Get[model.NodeGroup](ctx, s.deps.Store, ident)
	} else {
		var found []*model.NodeGroup
		found, err = store.List[model.NodeGroup](ctx, s.deps.Store, store.Query{Parent: c.UUID, Name: ident})
		switch {
		case err != nil:
		case len(found) == 0:
			return nil, notFound
		case len(found) > 1:
			return nil, model.Conflictf("Multiple nodegroups exist with same name. Please use the nodegroup uuid instead.")
		default:
			ng = found[0]
		}
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && ng.ClusterID != c.UUID) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	return ng, nil
}

// authorizedCluster finds the cluster the path names among those the caller
// may see, and checks that the caller may perform action on it.
func (s *Server) authorizedCluster(r *http.Request, action string) (*model.Cluster, error) {
	sub := subject(r)
	c, err := s.lookupCluster(r.Context(), sub, r.PathValue("ident"))
	if err != nil {
		return nil, err
	}
	return c, policy.Authorize(action, sub, policy.Target{ProjectID: c.ProjectID, UserID: c.UserID})
}

func (s *Server) listNodeGroups(w http.ResponseWriter, r *http.Request) error {
	c, err := s.authorizedCluster(r, "nodegroup:get_all")
	if err != nil {
		return err
	}
	p, err := parsePage(r, nodeGroupSortKeys)
	if err != nil {
		return err
	}
	ngs, err := store.List[model.NodeGroup](r.Context(), s.deps.Store, store.Query{
		Parent: c.UUID, SortKey: p.sortKey, SortDesc: p.sortDir == "desc", Marker: p.marker,
	})
	if err != nil {
		return markerNotFound(err, p)
	}
	role := r.URL.Query().Get("role")
	out := v1.NodeGroupList{NodeGroups: []v1.NodeGroupSummary{}}
	for _, ng := range ngs {
		if role != "" && ng.Role != role {
			continue
		}
		if len(out.NodeGroups) == p.limit {
			break
		}
		out.NodeGroups = append(out.NodeGroups, v1.NodeGroupSummary{
			UUID: ng.UUID, Name: ng.Name, FlavorID: str(ng.FlavorID), ImageID: str(ng.ImageID),
			NodeCount: ng.NodeCount, Role: ng.Role, IsDefault: ng.IsDefault, Status: string(ng.Status),
			StackID: str(ng.StackID), MinNodeCount: ng.MinNodeCount, MaxNodeCount: ng.MaxNodeCount,
		})
	}
	if n := len(out.NodeGroups); n > 0 {
		out.Next = s.next(r, "clusters/"+c.UUID+"/nodegroups", p, n, out.NodeGroups[n-1].UUID)
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getNodeGroup(w http.ResponseWriter, r *http.Request) error {
	c, err := s.authorizedCluster(r, "nodegroup:get")
	if err != nil {
		return err
	}
	ng, err := s.lookupNodeGroup(r.Context(), c, r.PathValue("ng"))
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, s.nodeGroupToWire(r, ng, c.Labels))
	return nil
}

func checkNodeGroupCounts(min, count int, max *int) error {
	if min < 0 || count < 0 {
		return model.Conflictf("Node counts must not be negative (min_node_count %d, node_count %d).", min, count)
	}
	if max != nil && *max < min {
		return model.Conflictf("max_node_count %d must be greater than or equal to min_node_count %d.", *max, min)
	}
	if max != nil && count > *max {
		return model.Conflictf("node_count %d must be less than or equal to max_node_count %d.", count, *max)
	}
	if count < min {
		return model.Conflictf("node_count %d must be greater than or equal to min_node_count %d.", count, min)
	}
	return nil
}

func (s *Server) createNodeGroup(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var in v1.NodeGroupCreate
	if err := decodeStrict(r, &in, "uuid", "id", "cluster_id", "project_id", "node_addresses", "stack_id",
		"status", "status_reason", "version", "links", "created_at", "updated_at"); err != nil {
		return err
	}
	c, err := s.authorizedCluster(r, "nodegroup:create")
	if err != nil {
		return err
	}
	if deref(in.Name) == "" {
		return model.Invalidf("Mandatory field missing: name.")
	}
	if err := validateLength("name", *in.Name, 255); err != nil {
		return err
	}
	ng := &model.NodeGroup{
		Name: *in.Name, ClusterID: c.UUID, ProjectID: c.ProjectID, Role: model.RoleWorker, NodeCount: 1,
		FlavorID: c.FlavorID, DockerVolumeSize: in.DockerVolumeSize, MaxNodeCount: in.MaxNodeCount,
		Status: model.CreateInProgress, Operation: model.OpCreate,
	}
	if in.Role != nil && *in.Role != "" {
		ng.Role = *in.Role
	}
	if ng.IsMaster() {
		return model.Invalidf("Creating master nodegroups is not supported.")
	}
	if in.NodeCount != nil {
		ng.NodeCount = *in.NodeCount
	}
	if err := checkNodeCount(ng.NodeCount, versionFrom(ctx)); err != nil {
		return err
	}
	if in.MinNodeCount != nil {
		ng.MinNodeCount = *in.MinNodeCount
	}
	if err := checkNodeGroupCounts(ng.MinNodeCount, ng.NodeCount, ng.MaxNodeCount); err != nil {
		return err
	}
	if in.FlavorID != nil && *in.FlavorID != "" {
		if _, err := provider.FindFlavor(ctx, s.deps.Catalog, *in.FlavorID); err != nil {
			return err
		}
		ng.FlavorID = *in.FlavorID
	}
	t, err := store.Get[model.ClusterTemplate](ctx, s.deps.Store, c.ClusterTemplateID)
	if err != nil {
		return err
	}
	ng.ImageID = t.ImageID
	if in.ImageID != nil && *in.ImageID != "" {
		if _, err := provider.FindImage(ctx, s.deps.Catalog, *in.ImageID); err != nil {
			return err
		}
		ng.ImageID = *in.ImageID
	}
	switch {
	case len(in.Labels) == 0:
		ng.Labels = maps.Clone(c.Labels)
	case in.MergeLabels != nil && *in.MergeLabels:
		ng.Labels = maps.Clone(c.Labels)
		if ng.Labels == nil {
			ng.Labels = map[string]string{}
		}
		maps.Copy(ng.Labels, in.Labels)
	default:
		ng.Labels = maps.Clone(map[string]string(in.Labels))
	}
	if c.APIAddress == "" {
		return model.Conflictf("Cluster %s has no api_address yet; create nodegroups once it is up.", c.UUID)
	}
	if !c.Status.Stable() && c.Status != model.UpdateInProgress && c.Status != model.UpdateFailed {
		return model.Invalidf("Creating a nodegroup when the cluster status is %s is not supported.", c.Status)
	}
	existing, err := store.List[model.NodeGroup](ctx, s.deps.Store, store.Query{Parent: c.UUID, Name: ng.Name})
	if err != nil {
		return err
	}
	if len(existing) > 0 {
		return model.Conflictf("A nodegroup with name %s already exists in cluster %s.", ng.Name, c.Name)
	}
	if err := s.deps.Store.Create(ctx, ng); err != nil {
		return err
	}
	if err := s.startOperation(ctx, c, model.OpUpdate); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusAccepted, s.nodeGroupToWire(r, ng, c.Labels))
	return nil
}

func (s *Server) updateNodeGroup(w http.ResponseWriter, r *http.Request) error {
	ops, err := parsePatch(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	c, err := s.authorizedCluster(r, "nodegroup:update")
	if err != nil {
		return err
	}
	ng, err := s.lookupNodeGroup(ctx, c, r.PathValue("ng"))
	if err != nil {
		return err
	}
	cur := s.nodeGroupToWire(r, ng, c.Labels)
	doc, err := toDoc(cur)
	if err != nil {
		return err
	}
	var internal []string
	for _, f := range jsonFields(reflect.TypeOf(cur)) {
		if !slices.Contains(nodeGroupPatchable, f) {
			internal = append(internal, f)
		}
	}
	changed, err := applyPatch(doc, cur, ops, patchRules{internal: internal})
	if err != nil {
		return err
	}
	var patched v1.NodeGroup
	if err := fromDoc(doc, &patched); err != nil {
		return err
	}
	if err := checkNodeGroupCounts(patched.MinNodeCount, ng.NodeCount, patched.MaxNodeCount); err != nil {
		return err
	}
	ng.MinNodeCount, ng.MaxNodeCount = patched.MinNodeCount, patched.MaxNodeCount
	if len(changed) > 0 {
		if err := s.deps.Store.Update(ctx, ng); err != nil {
			return err
		}
	}
	api.WriteJSON(w, http.StatusAccepted, s.nodeGroupToWire(r, ng, c.Labels))
	return nil
}

func (s *Server) deleteNodeGroup(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := s.authorizedCluster(r, "nodegroup:delete")
	if err != nil {
		return err
	}
	ng, err := s.lookupNodeGroup(ctx, c, r.PathValue("ng"))
	if err != nil {
		return err
	}
	if ng.IsDefault {
		return model.Invalidf("Deleting a default nodegroup is not supported.")
	}
	ng.Status, ng.Operation = model.DeleteInProgress, model.OpDelete
	if err := s.startOperation(ctx, c, model.OpUpdate, ng); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusNoContent, nil)
	return nil
}
