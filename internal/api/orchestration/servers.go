package orchestration

import (
	"net/http"
	"strconv"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
	v1 "github.com/slipway/slipway/pkg/apis/orchestration/v1"
)

// serverType is the resource type whose physical ids the server routes
// take.
const serverType = "OS::Nova::Server"

// serverResource finds the server resource of the path's project whose
// physical id is the path's server id: a project sees only its own
// servers.
func (s *Server) serverResource(r *http.Request) (*model.StackResource, error) {
	id := r.PathValue("server")
	if s.opts.Servers == nil {
		return nil, model.NotFoundf("No server with id %s exists: this process runs no infrastructure provider.", id)
	}
	recs, err := store.List[model.StackResource](r.Context(), s.st, store.Query{ProjectID: r.PathValue("project"), Ref: id})
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		if rec.Type == serverType || rec.Implementation == serverType {
			return rec, nil
		}
	}
	return nil, model.NotFoundf("No server with id %s exists.", id)
}

func (s *Server) showServer(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.serverResource(r)
	if err != nil {
		return err
	}
	srv, err := s.opts.Servers.Server(r.Context(), rec.PhysicalID)
	if err != nil {
		return err
	}
	out := v1.Server{ID: srv.ID, Name: srv.Name, Status: srv.Status, StatusReason: srv.Reason,
		VCPUs: srv.VCPUs, RAM: srv.MemoryMiB, Boots: srv.Boots, Created: srv.Created.UTC().Format(v1.TimeFormat),
		Addresses: srv.Addresses, StackID: rec.StackID, ResourceName: rec.Name}
	if out.Addresses == nil {
		out.Addresses = map[string][]string{}
	}
	api.WriteJSON(w, http.StatusOK, v1.ServerBody{Server: out})
	return nil
}

func (s *Server) serverLog(w http.ResponseWriter, r *http.Request) error {
	lines := 0
	if v := r.URL.Query().Get("lines"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return model.Invalidf("lines must be a number of lines, not %q.", v)
		}
		lines = n
	}
	rec, err := s.serverResource(r)
	if err != nil {
		return err
	}
	out, err := s.opts.Servers.ConsoleLog(r.Context(), rec.PhysicalID, lines)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, v1.ConsoleOutput{Output: out})
	return nil
}
