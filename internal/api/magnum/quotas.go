package magnum

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/policy"
	"github.com/slipway/slipway/internal/store"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

func quotaToWire(q *model.Quota) v1.Quota {
	id := q.ID
	return v1.Quota{ID: &id, ProjectID: q.ProjectID, Resource: q.Resource, HardLimit: q.HardLimit,
		CreatedAt: v1.NewTimestamp(&q.CreatedAt), UpdatedAt: v1.NewTimestamp(q.UpdatedAt)}
}

func (s *Server) findQuota(ctx context.Context, project, resource string) (*model.Quota, error) {
	qs, err := store.List[model.Quota](ctx, s.deps.Store, store.Query{ProjectID: project, Name: resource})
	if err != nil {
		return nil, err
	}
	if len(qs) == 0 {
		return nil, model.NotFoundf("Quota for project %s and resource %s could not be found.", project, resource)
	}
	return qs[0], nil
}

func (s *Server) listQuotas(w http.ResponseWriter, r *http.Request) error {
	sub := subject(r)
	if err := policy.Authorize("quota:get_all", sub, sub.Own()); err != nil {
		return err
	}
	all, _ := strconv.ParseBool(r.URL.Query().Get("all_tenants"))
	q := store.Query{}
	if !all {
		q.ProjectID = sub.ProjectID
	}
	qs, err := store.List[model.Quota](r.Context(), s.deps.Store, q)
	if err != nil {
		return err
	}
	out := v1.QuotaList{Quotas: []v1.Quota{}}
	for _, q := range qs {
		out.Quotas = append(out.Quotas, quotaToWire(q))
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getQuota(w http.ResponseWriter, r *http.Request) error {
	sub := subject(r)
	project, resource := r.PathValue("project"), r.PathValue("resource")
	if err := policy.Authorize("quota:get", sub, policy.Target{ProjectID: project}); err != nil {
		return err
	}
	q, err := s.findQuota(r.Context(), project, resource)
	if errors.Is(err, model.ErrNotFound) {
		api.WriteJSON(w, http.StatusOK, v1.Quota{ProjectID: project, Resource: model.QuotaResourceCluster, HardLimit: model.DefaultClusterQuota})
		return nil
	}
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, quotaToWire(q))
	return nil
}

func quotaFields(in v1.QuotaRequest) (resource string, limit int, err error) {
	resource, limit = model.QuotaResourceCluster, 1
	if in.Resource != nil {
		resource = *in.Resource
	}
	if resource != model.QuotaResourceCluster {
		return "", 0, model.Invalidf("Invalid input for field/attribute resource. Value: %q. Value should be one of: Cluster.", resource)
	}
	if in.HardLimit != nil {
		limit = *in.HardLimit
	}
	if limit < 0 {
		return "", 0, model.Invalidf("Invalid input for field/attribute hard_limit. Value: %d. It must be 0 or more.", limit)
	}
	return resource, limit, nil
}

func (s *Server) createQuota(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sub := subject(r)
	if err := policy.Authorize("quota:create", sub, sub.Own()); err != nil {
		return err
	}
	var in v1.QuotaRequest
	if err := decodeStrict(r, &in, "id", "created_at", "updated_at"); err != nil {
		return err
	}
	if deref(in.ProjectID) == "" {
		return model.Invalidf("Mandatory field missing: project_id.")
	}
	resource, limit, err := quotaFields(in)
	if err != nil {
		return err
	}
	project, err := s.deps.Projects.GetProject(ctx, *in.ProjectID)
	if err != nil {
		if errors.Is(err, model.ErrNotFound) || errors.Is(err, store.ErrNotFound) {
			return model.NotFoundf("Project %s could not be found.", *in.ProjectID)
		}
		return err
	}
	if _, err := s.findQuota(ctx, project.UUID, resource); err == nil {
		return model.Conflictf("Quota for project %s already exists for resource %s.", project.UUID, resource)
	}
	q := &model.Quota{ProjectID: project.UUID, Resource: resource, HardLimit: limit}
	if err := s.deps.Store.Create(ctx, q); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusCreated, quotaToWire(q))
	return nil
}

func (s *Server) updateQuota(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sub := subject(r)
	if err := policy.Authorize("quota:update", sub, sub.Own()); err != nil {
		return err
	}
	var in v1.QuotaRequest
	if err := decodeStrict(r, &in, "id", "created_at", "updated_at"); err != nil {
		return err
	}
	_, limit, err := quotaFields(v1.QuotaRequest{HardLimit: in.HardLimit})
	if err != nil {
		return err
	}
	q, err := s.findQuota(ctx, r.PathValue("project"), r.PathValue("resource"))
	if err != nil {
		return err
	}
	q.HardLimit = limit
	if err := s.deps.Store.Update(ctx, q); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusAccepted, quotaToWire(q))
	return nil
}

func (s *Server) deleteQuota(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sub := subject(r)
	if err := policy.Authorize("quota:delete", sub, sub.Own()); err != nil {
		return err
	}
	q, err := s.findQuota(ctx, r.PathValue("project"), r.PathValue("resource"))
	if err != nil {
		return err
	}
	if err := s.deps.Store.Delete(ctx, model.KindQuota, q.UUID); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusNoContent, nil)
	return nil
}
