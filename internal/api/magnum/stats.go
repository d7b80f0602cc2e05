package magnum

import (
	"net/http"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/policy"
	"github.com/slipway/slipway/internal/store"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

func (s *Server) getStats(w http.ResponseWriter, r *http.Request) error {
	sub := subject(r)
	q := r.URL.Query()
	if t := q.Get("type"); t != "" && t != "cluster" {
		return model.Invalidf("Invalid stats type %q; the only type is cluster.", t)
	}
	project := q.Get("project_id")
	if !sub.IsAdmin() {
		if project != "" && project != sub.ProjectID {
			return model.Forbiddenf("Policy doesn't allow stats:get_all to be performed for project %s.", project)
		}
		project = sub.ProjectID
	}
	if err := policy.Authorize("stats:get_all", sub, policy.Target{ProjectID: project}); err != nil {
		return err
	}
	clusters, err := store.List[model.Cluster](r.Context(), s.deps.Store, store.Query{ProjectID: project})
	if err != nil {
		return err
	}
	out := v1.Stats{Clusters: len(clusters)}
	for _, c := range clusters {
		out.Nodes += c.NodeCount + c.MasterCount
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

// listMServices reports the one conductor service, as Magnum clients and
// tempest expect.
func (s *Server) listMServices(w http.ResponseWriter, r *http.Request) error {
	sub := subject(r)
	if err := policy.Authorize("magnum-service:get_all", sub, sub.Own()); err != nil {
		return err
	}
	now := s.opts.Now()
	uptime := int(now.Sub(s.started).Seconds()/10) + 1
	api.WriteJSON(w, http.StatusOK, v1.MServiceList{MServices: []v1.MService{{
		ID: 1, Host: s.opts.ConductorHost, Binary: "magnum-conductor", State: "up",
		ReportCount: uptime, CreatedAt: v1.NewTimestamp(&s.started), UpdatedAt: v1.NewTimestamp(&now),
	}}})
	return nil
}
