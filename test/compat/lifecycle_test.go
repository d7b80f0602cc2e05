package compat

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/driver/drivertest"
	"github.com/slipway/slipway/internal/server/servertest"
	"github.com/slipway/slipway/internal/store/sql/pgtest"
)

// waitFor polls a cluster until its status is one of want (or "deleted").
func (s *session) waitFor(id string, want ...string) map[string]any {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.t.Context(), 60*time.Second)
	defer cancel()
	for {
		status, c, _ := s.do("GET", "/v1/clusters/"+id, nil)
		for _, w := range want {
			if (w == "deleted" && status == http.StatusNotFound) || (status == 200 && c["status"] == w) {
				return c
			}
		}
		select {
		case <-ctx.Done():
			s.t.Fatalf("cluster %s: %d %v, want %v", id, status, c["status"], want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func createCluster(t *testing.T, s *session, body map[string]any) string {
	t.Helper()
	status, out, _ := s.do("POST", "/v1/clusters", body)
	if status != http.StatusAccepted {
		t.Fatalf("create cluster: %d %v", status, out)
	}
	return out["uuid"].(string)
}

func TestFailedCreateReportsReasonAndDeletes(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	admin := login(t, env, "admin", servertest.AdminPassword, "admin")
	admin.do("POST", "/v1/clustertemplates", templateBody("t"))

	// A permanent failure: the real reason, at once, in status_reason and faults.
	id := createCluster(t, admin, map[string]any{"cluster_template_id": "t", "labels": map[string]any{drivertest.LabelFail: "etcd did not start: port 2379 in use"}})
	c := admin.waitFor(id, "CREATE_FAILED")
	if c["status_reason"] != "etcd did not start: port 2379 in use" {
		t.Fatalf("status_reason = %v", c["status_reason"])
	}
	faults, _ := c["faults"].(map[string]any)
	if faults["default-worker"] != "etcd did not start: port 2379 in use" {
		t.Fatalf("faults = %v", c["faults"])
	}
	if n := env.Driver.Applies(id); n != 1 {
		t.Fatalf("a permanent failure was tried %d times, want 1", n)
	}
	if status, _, _ := admin.do("DELETE", "/v1/clusters/"+id, nil); status != http.StatusNoContent {
		t.Fatalf("delete a failed cluster: %d", status)
	}
	admin.waitFor(id, "deleted")

	// A failure that persists past the delivery limit (3 attempts here).
	id = createCluster(t, admin, map[string]any{"cluster_template_id": "t", "labels": map[string]any{drivertest.LabelFailTimes: "10"}})
	c = admin.waitFor(id, "CREATE_FAILED")
	if !strings.Contains(c["status_reason"].(string), "transient failure 3 of 10") {
		t.Fatalf("status_reason after the delivery limit = %v", c["status_reason"])
	}
	if n := env.Driver.Applies(id); n != 3 {
		t.Fatalf("tried %d times, want the delivery limit of 3", n)
	}

	// A transient failure is retried and the cluster completes.
	id = createCluster(t, admin, map[string]any{"cluster_template_id": "t", "labels": map[string]any{drivertest.LabelFailTimes: "1"}})
	admin.waitFor(id, "CREATE_COMPLETE")
	if n := env.Driver.Applies(id); n != 2 {
		t.Fatalf("tried %d times, want 2", n)
	}
}

func TestNoDriverFailsAtCreate(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{NoDriver: true})
	admin := login(t, env, "admin", servertest.AdminPassword, "admin")
	admin.do("POST", "/v1/clustertemplates", templateBody("t"))
	status, body, _ := admin.do("POST", "/v1/clusters", map[string]any{"cluster_template_id": "t"})
	if status != http.StatusBadRequest || !strings.Contains(errorDetail(body), "no driver is installed for coe kubernetes") {
		t.Fatalf("create without a driver: %d %v", status, body)
	}
	_, list, _ := admin.do("GET", "/v1/clusters", nil)
	if n := len(list["clusters"].([]any)); n != 0 {
		t.Fatalf("a refused create left %d clusters", n)
	}
}

// TestRestartResumesAndKeepsTokens stops the server while a create is under
// way; the next start finishes it, and a token issued before still works.
func TestRestartResumesAndKeepsTokens(t *testing.T) {
	t.Parallel()
	d := drivertest.New()
	env := servertest.Start(t, servertest.Options{Driver: d})
	admin := login(t, env, "admin", servertest.AdminPassword, "admin")
	admin.do("POST", "/v1/clustertemplates", templateBody("t"))
	id := createCluster(t, admin, map[string]any{"cluster_template_id": "t", "labels": map[string]any{drivertest.LabelDelay: "3000"}})
	for d.Applies(id) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	env.Stop()

	env2 := servertest.Start(t, servertest.Options{Driver: d, DataDir: env.DataDir})
	again := &session{t: t, base: env2.URL + "/container-infra", token: admin.token}
	c := again.waitFor(id, "CREATE_COMPLETE")
	if c["name"] == nil || d.Applies(id) < 2 {
		t.Fatalf("resumed cluster %v after %d applies", c["status"], d.Applies(id))
	}
	status, list, _ := again.do("GET", "/v1/clustertemplates", nil)
	if status != 200 || len(list["clustertemplates"].([]any)) != 1 {
		t.Fatalf("templates after restart: %d %v", status, list)
	}
}

func TestPaginationAndNames(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	admin := login(t, env, "admin", servertest.AdminPassword, "admin")
	admin.do("POST", "/v1/clustertemplates", templateBody("t"))
	for i := range 5 {
		createCluster(t, admin, map[string]any{"cluster_template_id": "t", "name": fmt.Sprintf("c%d", i)})
	}
	createCluster(t, admin, map[string]any{"cluster_template_id": "t", "name": "c0"})
	status, body, _ := admin.do("GET", "/v1/clusters/c0", nil)
	if status != http.StatusConflict || !strings.Contains(errorDetail(body), "Multiple clusters exist with same name") {
		t.Fatalf("ambiguous name: %d %v", status, body)
	}
	var names []string
	next := "/v1/clusters?limit=2&sort_key=name&sort_dir=desc"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		_, page, _ := admin.do("GET", next, nil)
		for _, c := range page["clusters"].([]any) {
			names = append(names, c.(map[string]any)["name"].(string))
		}
		next, _ = page["next"].(string)
		next = strings.TrimPrefix(next, admin.base)
	}
	if got := strings.Join(names, ","); got != "c4,c3,c2,c1,c0,c0" {
		t.Fatalf("paged names %s", got)
	}
}

// TestSplitRolesOnPostgres runs the API and the conductor as separate
// processes on one PostgreSQL database.
func TestSplitRolesOnPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	env := servertest.Start(t, servertest.Options{Database: dsn})
	admin := login(t, env, "admin", servertest.AdminPassword, "admin")
	if status, _, _ := admin.do("POST", "/v1/clustertemplates", templateBody("t")); status != 201 {
		t.Fatalf("template on postgres: %d", status)
	}
	id := createCluster(t, admin, map[string]any{"cluster_template_id": "t", "node_count": 2})
	c := admin.waitFor(id, "CREATE_COMPLETE")
	if c["node_count"] != float64(2) {
		t.Fatalf("cluster on postgres: %v", c)
	}
	admin.do("DELETE", "/v1/clusters/"+id, nil)
	admin.waitFor(id, "deleted")
}

// TestNoPrivateKeyAtRest creates a cluster, whose CA keys are secrets, and
// reads the database files: no private key is in them.
func TestNoPrivateKeyAtRest(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	admin := login(t, env, "admin", servertest.AdminPassword, "admin")
	admin.do("POST", "/v1/clustertemplates", templateBody("t"))
	id := createCluster(t, admin, map[string]any{"cluster_template_id": "t"})
	admin.waitFor(id, "CREATE_COMPLETE")
	status, ca, _ := admin.do("GET", "/v1/certificates/"+id, nil)
	if status != 200 || !strings.Contains(ca["pem"].(string), "BEGIN CERTIFICATE") {
		t.Fatalf("CA: %d %v", status, ca)
	}
	files, _ := filepath.Glob(filepath.Join(env.DataDir, "slipway.db*"))
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("PRIVATE KEY")) {
			t.Fatalf("%s holds a private key in the clear", f)
		}
	}
}
