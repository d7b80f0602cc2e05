package quota

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/slipway/slipway/internal/cli/clitest"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
	"github.com/slipway/slipway/pkg/client/clienttest"
)

func newAPI(t *testing.T) *clienttest.Server {
	srv := clienttest.NewServer(t)
	id := int64(7)
	srv.Handle("GET /quotas", func(w http.ResponseWriter, r *http.Request) {
		qs := []v1.Quota{{ID: &id, ProjectID: clienttest.ProjectID, Resource: "Cluster", HardLimit: 20}}
		if r.URL.Query().Get("all_tenants") == "true" {
			qs = append(qs, v1.Quota{ProjectID: "other-project", Resource: "Cluster", HardLimit: 5})
		}
		clienttest.WriteJSON(w, http.StatusOK, v1.QuotaList{Quotas: qs})
	})
	srv.Handle("GET /quotas/{p}/{r}", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusOK, v1.Quota{ProjectID: r.PathValue("p"), Resource: r.PathValue("r"), HardLimit: 20})
	})
	echo := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var in v1.QuotaRequest
			_ = json.NewDecoder(r.Body).Decode(&in)
			clienttest.WriteJSON(w, status, v1.Quota{ID: &id, ProjectID: *in.ProjectID, Resource: *in.Resource, HardLimit: *in.HardLimit})
		}
	}
	srv.Handle("POST /quotas", echo(http.StatusCreated))
	srv.Handle("PATCH /quotas/{p}/{r}", echo(http.StatusAccepted))
	srv.Handle("DELETE /quotas/{p}/{r}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("p") == "nobody" {
			clienttest.WriteError(w, http.StatusNotFound, "Quota could not be found.")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return srv
}

func TestCommands(t *testing.T) {
	t.Parallel()
	clitest.RunCases(t, newAPI, NewCommand, []clitest.Case{
		{
			Name:    "list table",
			Args:    []string{"quota", "list", "--all-tenants"},
			WantOut: "PROJECT_ID                        RESOURCE  HARD_LIMIT\n" + clienttest.ProjectID + "  Cluster   20\nother-project                     Cluster   5\n",
			WantReq: "GET /quotas?all_tenants=true",
		},
		{
			Name: "list json",
			Args: []string{"quota", "list", "-o", "json"},
			WantOut: "[\n  {\n    \"id\": 7,\n    \"project_id\": \"" + clienttest.ProjectID + "\",\n" +
				"    \"resource\": \"Cluster\",\n    \"hard_limit\": 20\n  }\n]\n",
			WantReq: "GET /quotas",
		},
		{
			Name:    "show defaults to the current project",
			Args:    []string{"quota", "show"},
			WantOut: "FIELD       VALUE\nhard_limit  20\nproject_id  " + clienttest.ProjectID + "\nresource    Cluster\n",
			WantReq: "GET /quotas/" + clienttest.ProjectID + "/Cluster",
		},
		{
			Name:     "create",
			Args:     []string{"quota", "create", "--project-id", "p1", "--hard-limit", "10", "-o", "yaml"},
			WantOut:  "hard_limit: 10\nid: 7\nproject_id: p1\nresource: Cluster\n",
			WantReq:  "POST /quotas",
			WantBody: `{"project_id":"p1","resource":"Cluster","hard_limit":10}`,
		},
		{
			Name:     "update",
			Args:     []string{"quota", "update", "--project-id", "p1", "--hard-limit", "3"},
			WantReq:  "PATCH /quotas/p1/Cluster",
			WantBody: `{"project_id":"p1","resource":"Cluster","hard_limit":3}`,
		},
		{
			Name:    "delete",
			Args:    []string{"quota", "delete", "--project-id", "p1"},
			WantOut: "Request to delete quota p1/Cluster has been accepted.\n",
			WantReq: "DELETE /quotas/p1/Cluster",
		},
		{
			Name:       "delete missing",
			Args:       []string{"quota", "delete", "--project-id", "nobody"},
			WantErr:    true,
			WantErrOut: "Error: Quota could not be found. (HTTP 404, request " + clienttest.RequestID + ")\n",
		},
		{
			Name:       "create needs a project",
			Args:       []string{"quota", "create", "--hard-limit", "3"},
			WantErr:    true,
			WantErrOut: "Error: required flag(s) \"project-id\" not set\n",
		},
	})
}
