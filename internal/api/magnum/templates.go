package magnum

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"slices"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/policy"
	"github.com/slipway/slipway/internal/provider"
	"github.com/slipway/slipway/internal/store"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

// Network drivers a template may name; bridge is what the local Kubernetes
// driver runs.
var networkDrivers = []string{"bridge", "flannel", "calico", "cilium"}

const defaultNetworkDriver = "bridge"

var templateSortKeys = append([]string{"id", "uuid", "created_at", "updated_at"},
	jsonFields(reflect.TypeOf(model.ClusterTemplate{}))...)

var templatePatchRules = patchRules{
	internal: []string{"cluster_distro"},
	mandatory: []string{"coe", "image_id", "network_driver", "external_network_id", "tls_disabled",
		"public", "server_type", "registry_enabled", "cluster_distro", "hidden"},
	defaults: map[string]any{
		"floating_ip_enabled": true, "master_lb_enabled": false, "labels": map[string]any{},
		"tls_disabled": false, "public": false, "hidden": false, "registry_enabled": false,
		"server_type": "vm", "network_driver": defaultNetworkDriver,
	},
}

func templateToWire(s *Server, r *http.Request, t *model.ClusterTemplate) v1.ClusterTemplate {
	return v1.ClusterTemplate{
		UUID: t.UUID, Name: str(t.Name), COE: t.COE, ImageID: t.ImageID,
		FlavorID: str(t.FlavorID), MasterFlavorID: str(t.MasterFlavorID), DNSNameserver: str(t.DNSNameserver),
		KeypairID: str(t.KeypairID), ExternalNetworkID: str(t.ExternalNetworkID),
		FixedNetwork: str(t.FixedNetwork), FixedSubnet: str(t.FixedSubnet),
		NetworkDriver: str(t.NetworkDriver), VolumeDriver: str(t.VolumeDriver),
		APIServerPort: t.APIServerPort, DockerVolumeSize: t.DockerVolumeSize,
		DockerStorageDriver: str(t.DockerStorageDriver), ClusterDistro: str(t.ClusterDistro),
		HTTPProxy: str(t.HTTPProxy), HTTPSProxy: str(t.HTTPSProxy), NoProxy: str(t.NoProxy),
		RegistryEnabled: t.RegistryEnabled, InsecureRegistry: str(t.InsecureRegistry),
		Labels: nonNilLabels(t.Labels), TLSDisabled: t.TLSDisabled, Public: t.Public, Hidden: t.Hidden,
		ServerType: t.ServerType, MasterLBEnabled: t.MasterLBEnabled, FloatingIPEnabled: t.FloatingIPEnabled,
		Tags: str(t.Tags), Driver: str(t.Driver), ProjectID: t.ProjectID, UserID: t.UserID,
		Links:     s.links(r, "clustertemplates", t.UUID),
		CreatedAt: v1.NewTimestamp(&t.CreatedAt), UpdatedAt: v1.NewTimestamp(t.UpdatedAt),
	}
}

// applyTemplateWire copies the user-settable fields of a (patched) wire
// template onto t.
func applyTemplateWire(t *model.ClusterTemplate, w *v1.ClusterTemplate) {
	t.Name, t.COE, t.ImageID = deref(w.Name), w.COE, w.ImageID
	t.FlavorID, t.MasterFlavorID, t.DNSNameserver = deref(w.FlavorID), deref(w.MasterFlavorID), deref(w.DNSNameserver)
	t.KeypairID, t.ExternalNetworkID = deref(w.KeypairID), deref(w.ExternalNetworkID)
	t.FixedNetwork, t.FixedSubnet = deref(w.FixedNetwork), deref(w.FixedSubnet)
	t.NetworkDriver, t.VolumeDriver = deref(w.NetworkDriver), deref(w.VolumeDriver)
	t.APIServerPort, t.DockerVolumeSize = w.APIServerPort, w.DockerVolumeSize
	t.DockerStorageDriver = deref(w.DockerStorageDriver)
	t.HTTPProxy, t.HTTPSProxy, t.NoProxy = deref(w.HTTPProxy), deref(w.HTTPSProxy), deref(w.NoProxy)
	t.RegistryEnabled, t.InsecureRegistry = w.RegistryEnabled, deref(w.InsecureRegistry)
	t.Labels, t.TLSDisabled, t.Public, t.Hidden = w.Labels, w.TLSDisabled, w.Public, w.Hidden
	t.ServerType, t.MasterLBEnabled, t.FloatingIPEnabled = w.ServerType, w.MasterLBEnabled, w.FloatingIPEnabled
	t.Tags, t.Driver = deref(w.Tags), deref(w.Driver)
}

// validateTemplate checks a template against the rules and the provider's
// catalogue, and fills in cluster_distro from the image.
func (s *Server) validateTemplate(ctx context.Context, t *model.ClusterTemplate) error {
	if t.COE != "kubernetes" {
		return model.Invalidf("Invalid input for field/attribute coe. Value: %q. Value should be one of: kubernetes.", t.COE)
	}
	if v, ok := s.deps.Drivers.Validator(t.COE); ok {
		if err := v.ValidateTemplate(t); err != nil {
			return err
		}
	}
	if t.Name != "" {
		if err := validateLength("name", t.Name, 255); err != nil {
			return err
		}
	}
	if err := validateLength("image_id", t.ImageID, 255); err != nil {
		return err
	}
	img, err := provider.FindImage(ctx, s.deps.Catalog, t.ImageID)
	if err != nil {
		return err
	}
	t.ClusterDistro = img.OSDistro
	for _, f := range []string{t.FlavorID, t.MasterFlavorID} {
		if f == "" {
			continue
		}
		if _, err := provider.FindFlavor(ctx, s.deps.Catalog, f); err != nil {
			return err
		}
	}
	if t.ExternalNetworkID != "" {
		if _, err := provider.FindExternalNetwork(ctx, s.deps.Catalog, t.ExternalNetworkID); err != nil {
			return err
		}
	}
	if t.FixedNetwork != "" {
		if _, err := provider.FindNetwork(ctx, s.deps.Catalog, t.FixedNetwork); err != nil {
			return err
		}
	}
	if t.NetworkDriver != "" && !slices.Contains(networkDrivers, t.NetworkDriver) {
		return model.Invalidf("Network driver type %s is not supported; expected one of %v.", t.NetworkDriver, networkDrivers)
	}
	if t.VolumeDriver != "" && t.VolumeDriver != "cinder" {
		return model.Invalidf("Volume driver type %s is not supported; expected cinder.", t.VolumeDriver)
	}
	if p := t.APIServerPort; p != nil && (*p < 1024 || *p > 65535) {
		return model.Invalidf("Invalid input for field/attribute apiserver_port. Value: %d. It must be between 1024 and 65535.", *p)
	}
	if v := t.DockerVolumeSize; v != nil && *v < 1 {
		return model.Invalidf("Invalid input for field/attribute docker_volume_size. Value: %d. It must be at least 1.", *v)
	}
	if t.DNSNameserver != "" {
		if err := validateDNS(t.DNSNameserver); err != nil {
			return err
		}
	}
	if t.ServerType != "vm" && t.ServerType != "bm" {
		return model.Invalidf("Invalid input for field/attribute server_type. Value: %q. Value should be one of: vm, bm.", t.ServerType)
	}
	return nil
}

func (s *Server) createTemplate(w http.ResponseWriter, r *http.Request) error {
	sub := subject(r)
	if err := policy.Authorize("clustertemplate:create", sub, sub.Own()); err != nil {
		return err
	}
	var in v1.ClusterTemplateCreate
	if err := decodeStrict(r, &in, "project_id", "user_id", "links", "created_at", "updated_at", "cluster_distro"); err != nil {
		return err
	}
	if in.COE == nil {
		return model.Invalidf("Mandatory field missing: coe.")
	}
	if in.ImageID == nil {
		return model.Invalidf("Mandatory field missing: image_id.")
	}
	t := &model.ClusterTemplate{
		Name: deref(in.Name), ProjectID: sub.ProjectID, UserID: sub.UserID,
		COE: deref(in.COE), ImageID: deref(in.ImageID), FlavorID: deref(in.FlavorID),
		MasterFlavorID: deref(in.MasterFlavorID), DNSNameserver: deref(in.DNSNameserver),
		KeypairID: deref(in.KeypairID), ExternalNetworkID: deref(in.ExternalNetworkID),
		FixedNetwork: deref(in.FixedNetwork), FixedSubnet: deref(in.FixedSubnet),
		NetworkDriver: deref(in.NetworkDriver), VolumeDriver: deref(in.VolumeDriver),
		APIServerPort: in.APIServerPort, DockerVolumeSize: in.DockerVolumeSize,
		DockerStorageDriver: deref(in.DockerStorageDriver), HTTPProxy: deref(in.HTTPProxy),
		HTTPSProxy: deref(in.HTTPSProxy), NoProxy: deref(in.NoProxy), InsecureRegistry: deref(in.InsecureRegistry),
		Labels: in.Labels, ServerType: "vm", FloatingIPEnabled: true, Tags: deref(in.Tags), Driver: deref(in.Driver),
	}
	for _, b := range []struct {
		dst *bool
		src *bool
	}{{&t.RegistryEnabled, in.RegistryEnabled}, {&t.TLSDisabled, in.TLSDisabled}, {&t.Public, in.Public},
		{&t.Hidden, in.Hidden}, {&t.MasterLBEnabled, in.MasterLBEnabled}, {&t.FloatingIPEnabled, in.FloatingIPEnabled}} {
		if b.src != nil {
			*b.dst = *b.src
		}
	}
	if in.ServerType != nil {
		t.ServerType = *in.ServerType
	}
	if t.NetworkDriver == "" {
		t.NetworkDriver = defaultNetworkDriver
	}
	if t.Name == "" {
		t.Name = generateName("template")
	}
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	if (t.Public || t.Hidden) && !sub.IsAdmin() {
		return policy.Authorize("clustertemplate:publish", sub, sub.Own())
	}
	if in.UUID != nil {
		if !isUUID(*in.UUID) {
			return model.Invalidf("Invalid input for field/attribute uuid. Value: %q is not a valid UUID.", *in.UUID)
		}
		t.UUID = *in.UUID
	}
	if err := s.validateTemplate(r.Context(), t); err != nil {
		return err
	}
	if err := s.deps.Store.Create(r.Context(), t); err != nil {
		if errors.Is(err, store.ErrExists) {
			return model.Conflictf("A cluster template with UUID %s already exists.", t.UUID)
		}
		return err
	}
	w.Header().Set("Location", s.baseURL(r)+"/v1/clustertemplates/"+t.UUID)
	api.WriteJSON(w, http.StatusCreated, templateToWire(s, r, t))
	return nil
}

// templateVisible reports whether sub may see t at all.
func templateVisible(sub policy.Subject, t *model.ClusterTemplate, includeHidden bool) bool {
	if sub.IsAdmin() || t.ProjectID == sub.ProjectID {
		return true
	}
	return t.Public && (includeHidden || !t.Hidden)
}

// lookupTemplate finds a template by UUID or name among those sub may see.
func (s *Server) lookupTemplate(ctx context.Context, sub policy.Subject, ident string, includeHidden bool) (*model.ClusterTemplate, error) {
	if isUUID(ident) {
		t, err := store.Get[model.ClusterTemplate](ctx, s.deps.Store, ident)
		if err == nil && templateVisible(sub, t, includeHidden) {
			return t, nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return nil, model.NotFoundf("ClusterTemplate %s could not be found.", ident)
	}
	all, err := store.List[model.ClusterTemplate](ctx, s.deps.Store, store.Query{Name: ident})
	if err != nil {
		return nil, err
	}
	var found []*model.ClusterTemplate
	for _, t := range all {
		if templateVisible(sub, t, includeHidden) {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return nil, model.NotFoundf("ClusterTemplate %s could not be found.", ident)
	case 1:
		return found[0], nil
	}
	return nil, model.Conflictf("Multiple cluster templates exist with same name. Please use the cluster template uuid instead.")
}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) error {
	sub := subject(r)
	if err := policy.Authorize("clustertemplate:get_all", sub, sub.Own()); err != nil {
		return err
	}
	p, err := parsePage(r, templateSortKeys)
	if err != nil {
		return err
	}
	q := p.query()
	q.Marker, q.Limit = "", 0
	all, err := store.List[model.ClusterTemplate](r.Context(), s.deps.Store, q)
	if err != nil {
		return err
	}
	var visible []*model.ClusterTemplate
	for _, t := range all {
		if templateVisible(sub, t, false) || (t.ProjectID == sub.ProjectID) {
			visible = append(visible, t)
		}
	}
	start := 0
	if p.marker != "" {
		i := slices.IndexFunc(visible, func(t *model.ClusterTemplate) bool { return t.UUID == p.marker })
		if i < 0 {
			return model.NotFoundf("Marker %s could not be found.", p.marker)
		}
		start = i + 1
	}
	end := min(len(visible), start+p.limit)
	out := v1.ClusterTemplateList{ClusterTemplates: []v1.ClusterTemplate{}}
	for _, t := range visible[start:end] {
		out.ClusterTemplates = append(out.ClusterTemplates, templateToWire(s, r, t))
	}
	if n := len(out.ClusterTemplates); n > 0 {
		out.Next = s.next(r, "clustertemplates", p, n, out.ClusterTemplates[n-1].UUID)
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getTemplate(w http.ResponseWriter, r *http.Request) error {
	sub := subject(r)
	t, err := s.lookupTemplate(r.Context(), sub, r.PathValue("ident"), false)
	if err != nil {
		return err
	}
	if !t.Public {
		if err := policy.Authorize("clustertemplate:get", sub, policy.Target{ProjectID: t.ProjectID, UserID: t.UserID}); err != nil {
			return err
		}
	}
	api.WriteJSON(w, http.StatusOK, templateToWire(s, r, t))
	return nil
}

// templateInUse reports whether any cluster references the template.
func (s *Server) templateInUse(ctx context.Context, id string) (bool, error) {
	n, err := s.deps.Store.Count(ctx, model.KindCluster, store.Query{Ref: id})
	return n > 0, err
}

func (s *Server) updateTemplate(w http.ResponseWriter, r *http.Request) error {
	ops, err := parsePatch(r)
	if err != nil {
		return err
	}
	sub := subject(r)
	t, err := s.lookupTemplate(r.Context(), sub, r.PathValue("ident"), false)
	if err != nil {
		return err
	}
	if err := policy.Authorize("clustertemplate:update", sub, policy.Target{ProjectID: t.ProjectID, UserID: t.UserID}); err != nil {
		return err
	}
	cur := templateToWire(s, r, t)
	doc, err := toDoc(cur)
	if err != nil {
		return err
	}
	changed, err := applyPatch(doc, cur, ops, templatePatchRules)
	if err != nil {
		return err
	}
	var patched v1.ClusterTemplate
	if err := fromDoc(doc, &patched); err != nil {
		return err
	}
	if (slices.Contains(changed, "public") || slices.Contains(changed, "hidden")) && !sub.IsAdmin() {
		return policy.Authorize("clustertemplate:publish", sub, sub.Own())
	}
	inUse, err := s.templateInUse(r.Context(), t.UUID)
	if err != nil {
		return err
	}
	if inUse && !referencedUpdateAllowed(changed, patched) {
		return model.Invalidf("ClusterTemplate %s is referenced by one or multiple clusters.", t.UUID)
	}
	applyTemplateWire(t, &patched)
	if err := s.validateTemplate(r.Context(), t); err != nil {
		return err
	}
	if err := s.deps.Store.Update(r.Context(), t); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, templateToWire(s, r, t))
	return nil
}

// referencedUpdateAllowed is Magnum's rule for templates clusters use: only
// a single change of name, public to true, hidden or tags.
func referencedUpdateAllowed(changed []string, t v1.ClusterTemplate) bool {
	if len(changed) == 0 {
		return true
	}
	if len(changed) != 1 {
		return false
	}
	switch changed[0] {
	case "name", "hidden", "tags":
		return true
	case "public":
		return t.Public
	}
	return false
}

func (s *Server) deleteTemplate(w http.ResponseWriter, r *http.Request) error {
	sub := subject(r)
	t, err := s.lookupTemplate(r.Context(), sub, r.PathValue("ident"), false)
	if err != nil {
		return err
	}
	if err := policy.Authorize("clustertemplate:delete", sub, policy.Target{ProjectID: t.ProjectID, UserID: t.UserID}); err != nil {
		return err
	}
	inUse, err := s.templateInUse(r.Context(), t.UUID)
	if err != nil {
		return err
	}
	if inUse {
		return model.Invalidf("ClusterTemplate %s is referenced by one or multiple clusters.", t.UUID)
	}
	if err := s.deps.Store.Delete(r.Context(), model.KindClusterTemplate, t.UUID); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusNoContent, nil)
	return nil
}
