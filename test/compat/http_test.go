package compat

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/projects"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/roles"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/users"

	"github.com/slipway/slipway/internal/server/servertest"
)

// session talks raw HTTP to the Magnum API with one user's token, to check
// status codes and bodies exactly.
type session struct {
	t     *testing.T
	base  string
	token string
}

func login(t *testing.T, env *servertest.Env, user, password, project string) *session {
	t.Helper()
	pc, err := openstack.AuthenticatedClient(t.Context(), gophercloud.AuthOptions{
		IdentityEndpoint: env.AuthURL, Username: user, Password: password, TenantName: project, DomainName: "Default",
	})
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return &session{t: t, base: env.URL + "/container-infra", token: pc.Token()}
}

// do sends a request and returns the status and decoded body.
func (s *session) do(method, path string, body any, headers ...string) (int, map[string]any, http.Header) {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.token != "" {
		req.Header.Set("X-Auth-Token", s.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			s.t.Fatalf("%s %s: body is not JSON: %q", method, path, raw)
		}
	}
	return resp.StatusCode, out, resp.Header
}

// errorDetail returns the detail of a Magnum error body.
func errorDetail(body map[string]any) string {
	errs, _ := body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	e, _ := errs[0].(map[string]any)
	d, _ := e["detail"].(string)
	return d
}

// addMember creates a project and a user holding the member role on it.
func addMember(t *testing.T, env *servertest.Env, project, user string, role string) {
	t.Helper()
	pc, err := openstack.AuthenticatedClient(t.Context(), gophercloud.AuthOptions{
		IdentityEndpoint: env.AuthURL, Username: "admin", Password: servertest.AdminPassword, TenantName: "admin", DomainName: "Default",
	})
	if err != nil {
		t.Fatal(err)
	}
	idc, err := openstack.NewIdentityV3(pc, gophercloud.EndpointOpts{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := projects.Create(t.Context(), idc, projects.CreateOpts{Name: project}).Extract()
	if err != nil {
		t.Fatalf("create project %s: %v", project, err)
	}
	u, err := users.Create(t.Context(), idc, users.CreateOpts{Name: user, Password: user + "-pw", DefaultProjectID: p.ID}).Extract()
	if err != nil {
		t.Fatalf("create user %s: %v", user, err)
	}
	rs, err := roles.List(idc, roles.ListOpts{Name: role}).AllPages(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	all, _ := roles.ExtractRoles(rs)
	if len(all) != 1 {
		t.Fatalf("role %s: found %d", role, len(all))
	}
	if err := roles.Assign(t.Context(), idc, all[0].ID, roles.AssignOpts{UserID: u.ID, ProjectID: p.ID}).ExtractErr(); err != nil {
		t.Fatalf("assign %s: %v", role, err)
	}
}

func templateBody(name string) map[string]any {
	return map[string]any{"name": name, "coe": "kubernetes", "image_id": "slipway-node", "external_network_id": "public", "flavor_id": "m1.small"}
}

func TestNegative(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	addMember(t, env, "alpha", "alice", "member")
	addMember(t, env, "beta", "bob", "member")
	addMember(t, env, "gamma", "greta", "reader")
	alice := login(t, env, "alice", "alice-pw", "alpha")
	bob := login(t, env, "bob", "bob-pw", "beta")
	greta := login(t, env, "greta", "greta-pw", "gamma")

	status, tmpl, _ := alice.do("POST", "/v1/clustertemplates", templateBody("t1"))
	if status != http.StatusCreated {
		t.Fatalf("create template: %d %v", status, tmpl)
	}
	status, created, _ := alice.do("POST", "/v1/clusters", map[string]any{"name": "c1", "cluster_template_id": "t1"})
	if status != http.StatusAccepted {
		t.Fatalf("create cluster: %d %v", status, created)
	}
	clusterID := created["uuid"].(string)

	tests := []struct {
		name       string
		s          *session
		method     string
		path       string
		body       any
		headers    []string
		wantStatus int
		wantText   string
	}{
		{"unauthenticated", &session{t: t, base: alice.base}, "GET", "/v1/clusters", nil, nil, 401, ""},
		{"bad token", &session{t: t, base: alice.base, token: "slw_bogus"}, "GET", "/v1/clusters", nil, nil, 401, ""},
		{"another project's cluster", bob, "GET", "/v1/clusters/" + clusterID, nil, nil, 404, "could not be found"},
		{"another project's cluster by name", bob, "DELETE", "/v1/clusters/c1", nil, nil, 404, "could not be found"},
		{"member makes a template public", alice, "PATCH", "/v1/clustertemplates/t1", []map[string]any{{"op": "replace", "path": "/public", "value": "true"}}, nil, 403, "clustertemplate:publish"},
		{"member creates a public template", alice, "POST", "/v1/clustertemplates", map[string]any{"coe": "kubernetes", "image_id": "slipway-node", "public": true}, nil, 403, "clustertemplate:publish"},
		{"reader creates a cluster", greta, "POST", "/v1/clusters", map[string]any{"cluster_template_id": "t1"}, nil, 403, "cluster:create"},
		{"malformed JSON patch", alice, "PATCH", "/v1/clusters/c1", `{"op":"replace"}`, nil, 400, "JSON-patch"},
		{"patch of an internal attribute", alice, "PATCH", "/v1/clusters/c1", []map[string]any{{"op": "replace", "path": "/api_address", "value": "x"}}, nil, 400, "internal attribute"},
		{"patch of a frozen attribute", alice, "PATCH", "/v1/clusters/c1", []map[string]any{{"op": "replace", "path": "/master_lb_enabled", "value": true}}, nil, 400, "Cannot change cluster property(ies) master_lb_enabled"},
		{"malformed patch on a missing cluster is still 400", alice, "PATCH", "/v1/clusters/nope", `[{"op":"move"}]`, nil, 400, "op must be"},
		{"unknown template", alice, "POST", "/v1/clusters", map[string]any{"cluster_template_id": "no-such-template"}, nil, 400, "ClusterTemplate no-such-template could not be found"},
		{"unknown attribute", alice, "POST", "/v1/clusters", map[string]any{"cluster_template_id": "t1", "colour": "blue"}, nil, 400, "Unknown attribute"},
		{"read-only attribute", alice, "POST", "/v1/clusters", map[string]any{"cluster_template_id": "t1", "api_address": "x"}, nil, 400, "read only"},
		{"unknown flavor", alice, "POST", "/v1/clustertemplates", map[string]any{"coe": "kubernetes", "image_id": "slipway-node", "flavor_id": "m9.huge"}, nil, 400, "Flavor m9.huge could not be found"},
		{"unknown external network", alice, "POST", "/v1/clustertemplates", map[string]any{"coe": "kubernetes", "image_id": "slipway-node", "external_network_id": "nowhere"}, nil, 400, "External network nowhere could not be found"},
		{"unsupported coe", alice, "POST", "/v1/clustertemplates", map[string]any{"coe": "swarm", "image_id": "slipway-node"}, nil, 400, "coe"},
		{"zero nodes before 1.10", alice, "POST", "/v1/clusters", map[string]any{"cluster_template_id": "t1", "node_count": 0}, nil, 400, "1.10"},
		{"template in use", alice, "DELETE", "/v1/clustertemplates/t1", nil, nil, 400, "referenced"},
		{"microversion too new", alice, "GET", "/v1/clusters", nil, []string{"OpenStack-API-Version", "container-infra 1.99"}, 406, "not supported"},
		{"nodegroups need 1.9", alice, "GET", "/v1/clusters/c1/nodegroups", nil, nil, 406, ""},
		{"bad sort key", alice, "GET", "/v1/clusters?sort_key=colour", nil, nil, 400, "sort_key"},
		{"bad limit", alice, "GET", "/v1/clusters?limit=0", nil, nil, 400, "Limit"},
		{"unknown marker", alice, "GET", "/v1/clusters?marker=6b7a1c52-9d47-4b7e-8a33-0d3f0ad1a0aa", nil, nil, 404, "Marker"},
		{"mservices is admin only", alice, "GET", "/v1/mservices", nil, nil, 403, ""},
		{"another project's stats", alice, "GET", "/v1/stats?project_id=someone-else", nil, nil, 403, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.s.t = t
			status, body, h := tc.s.do(tc.method, tc.path, tc.body, tc.headers...)
			if status != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %v", status, tc.wantStatus, body)
			}
			if h.Get("X-OpenStack-Request-Id") == "" {
				t.Fatal("no X-OpenStack-Request-Id")
			}
			if ct := h.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
			if status == 401 {
				if _, ok := body["error"]; !ok || h.Get("WWW-Authenticate") == "" {
					t.Fatalf("401 body %v, WWW-Authenticate %q", body, h.Get("WWW-Authenticate"))
				}
				return
			}
			if !strings.Contains(errorDetail(body), tc.wantText) {
				t.Fatalf("detail %q does not mention %q", errorDetail(body), tc.wantText)
			}
		})
	}
}

func TestQuotaExceeded(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	addMember(t, env, "small", "sam", "member")
	sam := login(t, env, "sam", "sam-pw", "small")
	admin := login(t, env, "admin", servertest.AdminPassword, "admin")
	status, _, _ := sam.do("POST", "/v1/clustertemplates", templateBody("t"))
	if status != 201 {
		t.Fatalf("template: %d", status)
	}
	status, created, _ := sam.do("POST", "/v1/clusters", map[string]any{"cluster_template_id": "t"})
	if status != 202 {
		t.Fatalf("first cluster: %d %v", status, created)
	}
	_, c, _ := sam.do("GET", "/v1/clusters/"+created["uuid"].(string), nil)
	pid := c["project_id"].(string)
	status, body, _ := admin.do("POST", "/v1/quotas", map[string]any{"project_id": pid, "resource": "Cluster", "hard_limit": 1})
	if status != 201 {
		t.Fatalf("quota create: %d %v", status, body)
	}
	status, body, _ = sam.do("POST", "/v1/clusters", map[string]any{"cluster_template_id": "t"})
	if status != 403 || !strings.Contains(errorDetail(body), "quota exceeded") {
		t.Fatalf("second cluster: %d %v, want 403 quota exceeded", status, body)
	}
	_, list, _ := sam.do("GET", "/v1/clusters", nil)
	if n := len(list["clusters"].([]any)); n != 1 {
		t.Fatalf("clusters after the refused create: %d, want 1", n)
	}
}

func TestVersionDocuments(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	anon := &session{t: t, base: env.URL + "/container-infra"}
	status, root, _ := anon.do("GET", "/", nil)
	if status != 200 || root["versions"].([]any)[0].(map[string]any)["max_version"] != "1.12" {
		t.Fatalf("GET /: %d %v", status, root)
	}
	status, doc, h := anon.do("GET", "/v1/", nil, "OpenStack-API-Version", "container-infra latest")
	if status != 200 || doc["id"] != "v1" || h.Get("OpenStack-API-Version") != "container-infra 1.12" {
		t.Fatalf("GET /v1/: %d %v %v", status, doc, h)
	}
	admin := login(t, env, "admin", servertest.AdminPassword, "admin")
	status, body, h := admin.do("GET", "/v1/clusters", nil, "OpenStack-API-Version", "container-infra 2.0")
	errs := body["errors"].([]any)[0].(map[string]any)
	if status != 406 || errs["code"] != "magnum.microversion-unsupported" || errs["max_version"] != "1.12" || h.Get("OpenStack-API-Maximum-Version") != "container-infra 1.12" {
		t.Fatalf("406: %d %v %v", status, body, h)
	}
	// Unversioned paths alias v1, and trailing slashes are tolerated.
	status, _, _ = admin.do("GET", "/clusters/", nil)
	if status != 200 {
		t.Fatalf("GET /clusters/: %d", status)
	}
	status, _, _ = admin.do("GET", "/v1/clusters/?limit=5", nil)
	if status != 200 {
		t.Fatalf("GET /v1/clusters/?limit=5: %d", status)
	}
}
