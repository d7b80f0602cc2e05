package server

import (
	"net/http"
	"testing"

	"github.com/slipway/slipway/internal/cli/clitest"
	orchv1 "github.com/slipway/slipway/pkg/apis/orchestration/v1"
	"github.com/slipway/slipway/pkg/client/clienttest"
)

const serverID = "3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b"

func newAPI(t *testing.T) *clienttest.Server {
	srv := clienttest.NewServer(t)
	srv.HandleOrchestration("GET /servers/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != serverID {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"code": 404, "title": "Not Found", "error": {"message": "No server with id ` + r.PathValue("id") + ` exists.", "type": "NotFound"}}`))
			return
		}
		clienttest.WriteJSON(w, http.StatusOK, orchv1.ServerBody{Server: orchv1.Server{
			ID: serverID, Name: "web-0", Status: "ERROR",
			StatusReason: "the machine agent (pid 42) is no longer running", VCPUs: 1, RAM: 512, Boots: 1,
			Created: "2026-01-02T03:04:05Z", Addresses: map[string][]string{"private": {"10.0.0.5"}},
			StackID: "s-1", ResourceName: "server",
		}})
	})
	srv.HandleOrchestration("GET /servers/{id}/log", func(w http.ResponseWriter, r *http.Request) {
		out := "booting\nhttpd started\nsignalled\n"
		if r.URL.Query().Get("lines") == "1" {
			out = "signalled\n"
		}
		clienttest.WriteJSON(w, http.StatusOK, orchv1.ConsoleOutput{Output: out})
	})
	return srv
}

func TestCommands(t *testing.T) {
	t.Parallel()
	clitest.RunCases(t, newAPI, NewCommand, []clitest.Case{
		{Name: "log", Args: []string{"server", "log", serverID}, WantOut: "booting\nhttpd started\nsignalled\n",
			WantReq: "GET /servers/" + serverID + "/log"},
		{Name: "log tail", Args: []string{"server", "log", serverID, "--lines", "1"}, WantOut: "signalled\n",
			WantReq: "GET /servers/" + serverID + "/log?lines=1"},
		{Name: "log json", Args: []string{"server", "log", serverID, "--lines", "1", "-o", "json"},
			WantOut: "{\n  \"output\": \"signalled\\n\"\n}\n"},
		{Name: "show", Args: []string{"server", "show", serverID, "-o", "yaml"}, WantReq: "GET /servers/" + serverID,
			WantOut: "addresses:\n  private:\n  - 10.0.0.5\nboots: 1\ncreated: \"2026-01-02T03:04:05Z\"\nid: " + serverID +
				"\nname: web-0\nram: 512\nresource_name: server\nstack_id: s-1\nstatus: ERROR\nstatus_reason: the machine agent (pid 42) is no longer running\nvcpus: 1\n"},
		{Name: "unknown", Args: []string{"server", "show", "nope"}, WantErr: true,
			WantErrOut: "Error: No server with id nope exists. (HTTP 404, request " + clienttest.RequestID + ")\n"},
	})
}
