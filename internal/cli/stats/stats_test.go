package stats

import (
	"net/http"
	"testing"

	"github.com/slipway/slipway/internal/cli/clitest"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
	"github.com/slipway/slipway/pkg/client/clienttest"
)

func newAPI(t *testing.T) *clienttest.Server {
	srv := clienttest.NewServer(t)
	srv.Handle("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusOK, v1.Stats{Clusters: 2, Nodes: 7})
	})
	return srv
}

func TestStats(t *testing.T) {
	t.Parallel()
	clitest.RunCases(t, newAPI, NewCommand, []clitest.Case{
		{Name: "table", Args: []string{"stats"}, WantOut: "CLUSTERS  NODES\n2         7\n", WantReq: "GET /stats"},
		{Name: "json for a project", Args: []string{"stats", "--project-id", "p1", "-o", "json"}, WantOut: "{\n  \"clusters\": 2,\n  \"nodes\": 7\n}\n", WantReq: "GET /stats?project_id=p1"},
		{Name: "yaml", Args: []string{"stats", "-o", "yaml"}, WantOut: "clusters: 2\nnodes: 7\n"},
	})
}
