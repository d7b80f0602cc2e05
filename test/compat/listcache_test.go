package compat

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/server/servertest"
	"github.com/slipway/slipway/internal/store"
	storesql "github.com/slipway/slipway/internal/store/sql"
	"github.com/slipway/slipway/internal/store/sql/pgtest"
)

// TestListCacheSeesWrites checks that the cluster lists, which the API
// caches, show every write at once: writes through the same server,
// through another server on the same PostgreSQL database, and straight to
// the database from another process's store.
func TestListCacheSeesWrites(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	env1 := servertest.Start(t, servertest.Options{Database: dsn})
	env2 := servertest.Start(t, servertest.Options{Database: dsn})
	a1 := login(t, env1, "admin", servertest.AdminPassword, "admin")
	a2 := login(t, env2, "admin", servertest.AdminPassword, "admin")

	list := func(s *session, path string) []map[string]any {
		t.Helper()
		status, body, h := s.do("GET", path, nil)
		if status != http.StatusOK || h.Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %d %s %v", path, status, h.Get("Content-Type"), body)
		}
		var out []map[string]any
		for _, c := range body["clusters"].([]any) {
			out = append(out, c.(map[string]any))
		}
		return out
	}
	expect := func(what string, check func(cs []map[string]any) bool) {
		t.Helper()
		for _, s := range []*session{a1, a2} {
			for _, path := range []string{"/v1/clusters", "/v1/clusters/detail", "/v1/clusters?limit=5"} {
				// Twice: the first may fill the cache, the second is served
				// from it.
				for range 2 {
					if cs := list(s, path); !check(cs) {
						t.Fatalf("%s: GET %s on %s: %v", what, path, s.base, cs)
					}
				}
			}
		}
	}

	body := templateBody("t")
	body["labels"] = map[string]string{"a": "1"}
	if status, out, _ := a1.do("POST", "/v1/clustertemplates", body); status != http.StatusCreated {
		t.Fatalf("create template: %d %v", status, out)
	}
	expect("empty", func(cs []map[string]any) bool { return len(cs) == 0 })

	id := createCluster(t, a1, map[string]any{"name": "c", "cluster_template_id": "t", "node_count": 1})
	expect("created", func(cs []map[string]any) bool { return len(cs) == 1 && cs[0]["uuid"] == id })
	a1.waitFor(id, "CREATE_COMPLETE")
	expect("built", func(cs []map[string]any) bool {
		return len(cs) == 1 && cs[0]["status"] == "CREATE_COMPLETE"
	})

	// Resize through the second server.
	if status, out, _ := a2.do("POST", "/v1/clusters/"+id+"/actions/resize", map[string]any{"node_count": 3}, "OpenStack-API-Version", "container-infra latest"); status != http.StatusAccepted {
		t.Fatalf("resize: %d %v", status, out)
	}
	expect("resizing", func(cs []map[string]any) bool { return len(cs) == 1 && cs[0]["node_count"] == float64(3) })
	a2.waitFor(id, "UPDATE_COMPLETE")
	expect("resized", func(cs []map[string]any) bool {
		return len(cs) == 1 && cs[0]["status"] == "UPDATE_COMPLETE" && cs[0]["node_count"] == float64(3)
	})

	// A template label change, from another process's store: the detail
	// compares the cluster's labels with the template's.
	detail := func(s *session) string {
		cs := list(s, "/v1/clusters/detail")
		b, _ := json.Marshal([]any{cs[0]["labels_added"], cs[0]["labels_skipped"], cs[0]["labels_overridden"]})
		return string(b)
	}
	before1, before2 := detail(a1), detail(a2)
	st, err := storesql.Open(t.Context(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tmpls, err := store.List[model.ClusterTemplate](t.Context(), st, store.Query{Name: "t"})
	if err != nil || len(tmpls) != 1 {
		t.Fatalf("template: %v %v", tmpls, err)
	}
	tmpls[0].Labels["b"] = "2"
	if err := st.Update(t.Context(), tmpls[0]); err != nil {
		t.Fatal(err)
	}
	if after1, after2 := detail(a1), detail(a2); after1 == before1 || after2 == before2 {
		t.Fatalf("template label change not shown: before %s / %s, after %s / %s", before1, before2, after1, after2)
	}

	// Deleted through the first server.
	a1.do("DELETE", "/v1/clusters/"+id, nil)
	a1.waitFor(id, "deleted")
	expect("deleted", func(cs []map[string]any) bool { return len(cs) == 0 })
}
