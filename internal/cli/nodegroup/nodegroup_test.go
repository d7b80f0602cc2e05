package nodegroup

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/cli/clitest"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
	"github.com/slipway/slipway/pkg/client/clienttest"
)

const ngUUID = "9a6ae9a1-2d6b-4b5e-b9e3-0fb2b3f3c0de"

func ptr[T any](v T) *T { return &v }

func testNodeGroup(status, reason string) v1.NodeGroup {
	ng := v1.NodeGroup{
		ID: 3, UUID: ngUUID, Name: "big", ClusterID: "c-uuid", FlavorID: ptr("m1.large"), ImageID: ptr("slipway-node"),
		NodeCount: 2, Role: "worker", MaxNodeCount: ptr(5), Status: status,
	}
	if reason != "" {
		ng.StatusReason = &reason
	}
	return ng
}

// newAPI serves the nodegroups of cluster k8s; GETs of a nodegroup return
// states in turn (see clitest.Sequence).
func newAPI(t *testing.T, states ...*v1.NodeGroup) *clienttest.Server {
	srv := clienttest.NewServer(t)
	if len(states) == 0 {
		ng := testNodeGroup("CREATE_COMPLETE", "")
		states = []*v1.NodeGroup{&ng}
	}
	srv.Handle("GET /clusters/k8s/nodegroups", func(w http.ResponseWriter, r *http.Request) {
		all := []v1.NodeGroupSummary{
			{UUID: "m-uuid", Name: "default-master", FlavorID: ptr("m1.small"), ImageID: ptr("slipway-node"), NodeCount: 1, Role: "master", IsDefault: true, Status: "CREATE_COMPLETE"},
			{UUID: ngUUID, Name: "big", FlavorID: ptr("m1.large"), ImageID: ptr("slipway-node"), NodeCount: 2, Role: "worker", Status: "CREATE_COMPLETE"},
		}
		var out []v1.NodeGroupSummary
		for _, ng := range all {
			if role := r.URL.Query().Get("role"); role == "" || role == ng.Role {
				out = append(out, ng)
			}
		}
		clienttest.WriteJSON(w, http.StatusOK, v1.NodeGroupList{NodeGroups: out})
	})
	srv.Handle("GET /clusters/k8s/nodegroups/{ng}", clitest.Sequence("Nodegroup could not be found.", states...))
	accepted := testNodeGroup("CREATE_IN_PROGRESS", "")
	srv.Handle("POST /clusters/k8s/nodegroups", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusAccepted, accepted)
	})
	srv.Handle("PATCH /clusters/k8s/nodegroups/{ng}", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusAccepted, accepted)
	})
	srv.Handle("DELETE /clusters/k8s/nodegroups/{ng}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	return srv
}

func TestCommands(t *testing.T) {
	t.Parallel()
	clitest.RunCases(t, func(t *testing.T) *clienttest.Server { return newAPI(t) }, NewCommand, []clitest.Case{
		{
			Name: "list table",
			Args: []string{"nodegroup", "list", "k8s"},
			WantOut: "UUID                                  NAME            FLAVOR_ID  IMAGE_ID      NODE_COUNT  STATUS           ROLE\n" +
				"m-uuid                                default-master  m1.small   slipway-node  1           CREATE_COMPLETE  master\n" +
				ngUUID + "  big             m1.large   slipway-node  2           CREATE_COMPLETE  worker\n",
		},
		{
			Name:    "list json by role",
			Args:    []string{"nodegroup", "list", "k8s", "--role", "master", "-o", "json"},
			WantReq: "GET /clusters/k8s/nodegroups?role=master",
			Check: func(t *testing.T, out string) {
				var got []v1.NodeGroupSummary
				if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 || got[0].Name != "default-master" {
					t.Errorf("nodegroups = %+v (%v)\n%s", got, err, out)
				}
			},
		},
		{
			Name:    "show",
			Args:    []string{"nodegroup", "show", "k8s", "big"},
			WantReq: "GET /clusters/k8s/nodegroups/big",
			Check: func(t *testing.T, out string) {
				for _, want := range []string{"\nmax_node_count ", " 5\n", "\nstatus_reason ", " -\n"} {
					if !strings.Contains(out, want) {
						t.Errorf("output lacks %q:\n%s", want, out)
					}
				}
			},
		},
		{
			Name:     "create",
			Args:     []string{"nodegroup", "create", "k8s", "big", "--flavor", "m1.large", "--node-count", "2", "--max-nodes", "5", "--label", "a=b", "-o", "json"},
			WantReq:  "POST /clusters/k8s/nodegroups",
			WantBody: `{"name":"big","labels":{"a":"b"},"node_count":2,"max_node_count":5,"role":"worker","flavor_id":"m1.large"}`,
			Check: func(t *testing.T, out string) {
				var got v1.NodeGroup
				if err := json.Unmarshal([]byte(out), &got); err != nil || got.Status != "CREATE_IN_PROGRESS" {
					t.Errorf("nodegroup = %+v (%v)", got, err)
				}
			},
		},
		{
			Name:     "update",
			Args:     []string{"nodegroup", "update", "k8s", "big", "replace", "min_node_count=1", "max_node_count=3"},
			WantReq:  "PATCH /clusters/k8s/nodegroups/big",
			WantBody: `[{"op":"replace","path":"/min_node_count","value":1},{"op":"replace","path":"/max_node_count","value":3}]`,
		},
		{
			Name:    "delete",
			Args:    []string{"nodegroup", "delete", "k8s", "big", "small"},
			WantOut: "Request to delete nodegroup big has been accepted.\nRequest to delete nodegroup small has been accepted.\n",
			WantReq: "DELETE /clusters/k8s/nodegroups/small",
		},
	})
}

func TestWait(t *testing.T) {
	t.Parallel()
	st := func(status, reason string) *v1.NodeGroup {
		ng := testNodeGroup(status, reason)
		return &ng
	}
	withStates := func(states ...*v1.NodeGroup) func(*testing.T) *clienttest.Server {
		return func(t *testing.T) *clienttest.Server { return newAPI(t, states...) }
	}
	clitest.RunCases(t, withStates(st("CREATE_IN_PROGRESS", ""), st("CREATE_FAILED", "no capacity for m1.large")), NewCommand, []clitest.Case{{
		Name:    "create fails",
		Args:    []string{"nodegroup", "create", "k8s", "big", "--wait"},
		WantErr: true,
		WantErrOut: "[t] CREATE_IN_PROGRESS\n[t] CREATE_FAILED: no capacity for m1.large\n" +
			"Error: nodegroup big: CREATE_FAILED: no capacity for m1.large\n",
	}})
	clitest.RunCases(t, withStates(st("DELETE_IN_PROGRESS", ""), nil), NewCommand, []clitest.Case{{
		Name:       "delete several",
		Args:       []string{"nodegroup", "delete", "k8s", "big", "small", "--wait"},
		WantErrOut: "[t] big: DELETE_IN_PROGRESS\n[t] big: deleted\n[t] small: deleted\n",
	}})
}
