package identity

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/applicationcredentials"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/projects"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/roles"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/users"
	"golang.org/x/crypto/bcrypt"

	"github.com/slipway/slipway/internal/identity"
	"github.com/slipway/slipway/internal/store/sql"
	v3 "github.com/slipway/slipway/pkg/apis/identity/v3"
)

const adminPassword = "s3cret-admin"

// env is an identity API on a real SQLite store, mounted under /identity as
// the lead mounts it.
type env struct {
	srv  *httptest.Server
	svc  *identity.Service
	base string // the identity endpoint root
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := t.Context()
	st, err := sql.Open(ctx, filepath.Join(t.TempDir(), "slipway.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base := srv.URL + "/identity"
	svc := identity.New(st, identity.Options{
		PasswordCost: bcrypt.MinCost,
		Catalog: []identity.CatalogService{
			{Type: "identity", Name: "keystone", URL: base + "/v3"},
			{Type: "container-infra", Name: "magnum", URL: srv.URL + "/container-infra/v1"},
			{Type: "orchestration", Name: "heat", URL: srv.URL + "/orchestration/v1/{project_id}"},
		},
	})
	if _, err := svc.Bootstrap(ctx, identity.BootstrapOptions{AdminPassword: adminPassword}); err != nil {
		t.Fatal(err)
	}
	mux.Handle("/identity/", http.StripPrefix("/identity", New(svc, Options{BaseURL: base})))
	return &env{srv: srv, svc: svc, base: base}
}

// client authenticates with gophercloud and returns the provider and an
// identity v3 service client.
func (e *env) client(t *testing.T, ao gophercloud.AuthOptions) (*gophercloud.ProviderClient, *gophercloud.ServiceClient) {
	t.Helper()
	if ao.IdentityEndpoint == "" {
		ao.IdentityEndpoint = e.base + "/v3"
	}
	provider, err := openstack.AuthenticatedClient(t.Context(), ao)
	if err != nil {
		t.Fatalf("AuthenticatedClient: %v", err)
	}
	ic, err := openstack.NewIdentityV3(provider, gophercloud.EndpointOpts{})
	if err != nil {
		t.Fatal(err)
	}
	return provider, ic
}

func (e *env) admin(t *testing.T) (*gophercloud.ProviderClient, *gophercloud.ServiceClient) {
	return e.client(t, gophercloud.AuthOptions{
		Username: "admin", Password: adminPassword, DomainName: "Default",
		TenantName: "admin",
	})
}

// do sends a raw request to the identity API.
func (e *env) do(t *testing.T, method, path, token string, hdr map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestVersionDiscovery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		path       string
		wantStatus int
	}{
		{"/", http.StatusMultipleChoices},
		{"/v3", http.StatusOK},
		{"/v3/", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			resp, body := e.do(t, "GET", tt.path, "", nil, "")
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if !strings.HasPrefix(resp.Header.Get("X-OpenStack-Request-Id"), "req-") {
				t.Errorf("request id %q", resp.Header.Get("X-OpenStack-Request-Id"))
			}
			var v v3.Version
			if tt.path == "/" {
				var doc v3.VersionsResponse
				if err := json.Unmarshal(body, &doc); err != nil || len(doc.Versions.Values) != 1 {
					t.Fatalf("versions %s: %v", body, err)
				}
				v = doc.Versions.Values[0]
			} else {
				var doc v3.VersionResponse
				if err := json.Unmarshal(body, &doc); err != nil {
					t.Fatal(err)
				}
				v = doc.Version
			}
			if v.ID != "v3.14" || v.Status != "stable" || len(v.Links) != 1 || v.Links[0].Href != e.base+"/v3/" || len(v.MediaTypes) != 1 {
				t.Errorf("version = %+v", v)
			}
		})
	}
	// gophercloud discovers v3 from the unversioned root.
	provider, _ := e.client(t, gophercloud.AuthOptions{
		IdentityEndpoint: e.base, Username: "admin", Password: adminPassword, DomainID: "default",
		Scope: &gophercloud.AuthScope{ProjectName: "admin", DomainName: "Default"},
	})
	if provider.Token() == "" {
		t.Error("no token after discovery from the root")
	}
}

func TestGophercloudPasswordAuthAndValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	provider, ic := e.admin(t)
	token := provider.Token()
	if !strings.HasPrefix(token, identity.TokenPrefix) {
		t.Fatalf("token %q", token)
	}
	res := tokens.Get(t.Context(), ic, token)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	tok, err := res.ExtractToken()
	if err != nil || tok.ID != token || tok.ExpiresAt.IsZero() {
		t.Fatalf("token = %+v, %v", tok, err)
	}
	project, err := res.ExtractProject()
	if err != nil || project.Name != "admin" || project.Domain.ID != "default" {
		t.Errorf("project = %+v, %v", project, err)
	}
	user, err := res.ExtractUser()
	if err != nil || user.Name != "admin" || user.Domain.Name != "Default" {
		t.Errorf("user = %+v, %v", user, err)
	}
	rs, err := res.ExtractRoles()
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
		if r.ID == "" {
			t.Errorf("role %s has no id", r.Name)
		}
	}
	if err != nil || !slices.Equal(names, []string{"admin", "member", "reader"}) {
		t.Errorf("roles = %q, %v", names, err)
	}
	cat, err := res.ExtractServiceCatalog()
	if err != nil || len(cat.Entries) != 3 {
		t.Fatalf("catalog = %+v, %v", cat, err)
	}
	// Catalog endpoints resolve, with the project id substituted.
	url, err := provider.EndpointLocator(gophercloud.EndpointOpts{Type: "orchestration", Availability: gophercloud.AvailabilityInternal})
	if err != nil || url != e.srv.URL+"/orchestration/v1/"+project.ID+"/" {
		t.Errorf("heat endpoint = %q, %v", url, err)
	}
	if ok, err := tokens.Validate(t.Context(), ic, token); !ok || err != nil {
		t.Errorf("Validate = %v, %v", ok, err)
	}
	if ok, err := tokens.Validate(t.Context(), ic, "slw_not-a-token"); ok || err != nil {
		t.Errorf("Validate(bogus) = %v, %v; want false", ok, err)
	}

	// Raw checks of what keystoneauth reads.
	resp, body := e.do(t, "GET", "/v3/auth/tokens?nocatalog", token, map[string]string{"X-Subject-Token": token}, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Subject-Token") != token {
		t.Fatalf("GET auth/tokens: %d %s", resp.StatusCode, body)
	}
	var doc map[string]map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["token"]["catalog"]; ok {
		t.Error("nocatalog still returned a catalog")
	}
	for _, k := range []string{"expires_at", "issued_at"} {
		s, _ := doc["token"][k].(string)
		if len(s) != len("2006-01-02T15:04:05.000000Z") || !strings.HasSuffix(s, "Z") {
			t.Errorf("%s = %q", k, s)
		}
	}
	if u := doc["token"]["user"].(map[string]any); u["password_expires_at"] != nil {
		t.Errorf("password_expires_at = %v", u["password_expires_at"])
	}
	resp, _ = e.do(t, "HEAD", "/v3/auth/tokens", token, map[string]string{"X-Subject-Token": token}, "")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD auth/tokens: %d", resp.StatusCode)
	}
	resp, body = e.do(t, "GET", "/v3/auth/tokens", token, map[string]string{"X-Subject-Token": "slw_nope"}, "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("invalid subject: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(t, "GET", "/v3/auth/catalog", token, nil, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"container-infra"`) {
		t.Errorf("auth/catalog: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(t, "GET", "/v3/auth/projects", token, nil, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"name":"admin"`) {
		t.Errorf("auth/projects: %d %s", resp.StatusCode, body)
	}
}

func TestAuthErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name       string
		method     string
		path       string
		token      string
		body       string
		wantStatus int
	}{
		{
			name: "wrong password", method: "POST", path: "/v3/auth/tokens",
			body:       `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"nope"}}}}}`,
			wantStatus: http.StatusUnauthorized,
		},
		{
			name: "malformed body", method: "POST", path: "/v3/auth/tokens", body: `{"auth":`,
			wantStatus: http.StatusBadRequest,
		},
		{name: "no token", method: "GET", path: "/v3/projects", wantStatus: http.StatusUnauthorized},
		{name: "bad token", method: "GET", path: "/v3/users", token: "slw_garbage", wantStatus: http.StatusUnauthorized},
		{name: "unknown route", method: "GET", path: "/v3/nothing", token: "x", wantStatus: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := e.do(t, tt.method, tt.path, tt.token, nil, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("content type %q", ct)
			}
			var eb v3.ErrorResponse
			if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Code != tt.wantStatus || eb.Error.Title != http.StatusText(tt.wantStatus) || eb.Error.Message == "" {
				t.Errorf("error body %s: %v", body, err)
			}
			if tt.wantStatus == http.StatusUnauthorized {
				if got, want := resp.Header.Get("WWW-Authenticate"), `Keystone uri="`+e.base+`/v3"`; got != want {
					t.Errorf("WWW-Authenticate = %q, want %q", got, want)
				}
			}
		})
	}
}

func TestGophercloudAdministration(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t)
	_, ic := e.admin(t)

	p, err := projects.Create(ctx, ic, projects.CreateOpts{Name: "demo", Description: "Demo", DomainID: "default"}).Extract()
	if err != nil || p.Name != "demo" || !p.Enabled || p.DomainID != "default" {
		t.Fatalf("create project = %+v, %v", p, err)
	}
	_, err = projects.Create(ctx, ic, projects.CreateOpts{Name: "demo"}).Extract()
	if !gophercloud.ResponseCodeIs(err, http.StatusConflict) {
		t.Errorf("duplicate project: %v, want 409", err)
	}
	pages, err := projects.List(ic, projects.ListOpts{Name: "demo"}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := projects.ExtractProjects(pages)
	if len(ps) != 1 || ps[0].ID != p.ID {
		t.Errorf("list projects by name = %+v", ps)
	}

	u, err := users.Create(ctx, ic, users.CreateOpts{Name: "alice", Password: "alice-pw", DefaultProjectID: p.ID, DomainID: "default"}).Extract()
	if err != nil || u.Name != "alice" || !u.Enabled {
		t.Fatalf("create user = %+v, %v", u, err)
	}
	_, err = users.Create(ctx, ic, users.CreateOpts{Name: "alice", Password: "x"}).Extract()
	if !gophercloud.ResponseCodeIs(err, http.StatusConflict) {
		t.Errorf("duplicate user: %v, want 409", err)
	}

	rpages, err := roles.List(ic, roles.ListOpts{Name: "member"}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := roles.ExtractRoles(rpages)
	if len(rs) != 1 {
		t.Fatalf("roles named member: %+v", rs)
	}
	member := rs[0]
	if err := roles.Assign(ctx, ic, member.ID, roles.AssignOpts{UserID: u.ID, ProjectID: p.ID}).ExtractErr(); err != nil {
		t.Fatal(err)
	}
	if err := roles.Validate(ctx, ic, member.ID, roles.ValidateOpts{UserID: u.ID, ProjectID: p.ID}).ExtractErr(); err != nil {
		t.Errorf("validate grant: %v", err)
	}

	apages, err := roles.ListAssignments(ic, roles.ListAssignmentsOpts{UserID: u.ID, IncludeNames: gophercloud.Enabled}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	as, _ := roles.ExtractRoleAssignments(apages)
	if len(as) != 1 || as[0].Role.Name != "member" || as[0].User.Name != "alice" || as[0].Scope.Project.Name != "demo" {
		t.Errorf("assignments = %+v", as)
	}
	onRes, err := roles.ListAssignmentsOnResource(ic, roles.ListAssignmentsOnResourceOpts{UserID: u.ID, ProjectID: p.ID}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rs, _ := roles.ExtractRoles(onRes); len(rs) != 1 || rs[0].ID != member.ID {
		t.Errorf("roles on project = %+v", rs)
	}

	// Alice can now log in scoped to demo, and read herself but not others.
	aliceProvider, aliceIC := e.client(t, gophercloud.AuthOptions{
		Username: "alice", Password: "alice-pw", DomainID: "default",
		Scope: &gophercloud.AuthScope{ProjectName: "demo", DomainID: "default"},
	})
	if got, err := users.Get(ctx, aliceIC, u.ID).Extract(); err != nil || got.Name != "alice" {
		t.Errorf("alice reads herself: %+v, %v", got, err)
	}
	upages, err := users.ListProjects(aliceIC, u.ID).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ps, _ := projects.ExtractProjects(upages); len(ps) != 1 || ps[0].ID != p.ID {
		t.Errorf("alice's projects = %+v", ps)
	}
	_, err = projects.List(aliceIC, nil).AllPages(ctx)
	if !gophercloud.ResponseCodeIs(err, http.StatusForbidden) {
		t.Errorf("member lists projects: %v, want 403", err)
	}
	adminUsers, _ := users.List(ic, users.ListOpts{Name: "admin"}).AllPages(ctx)
	au, _ := users.ExtractUsers(adminUsers)
	if len(au) != 1 {
		t.Fatalf("admin users = %+v", au)
	}
	_, err = users.Get(ctx, aliceIC, au[0].ID).Extract()
	if !gophercloud.ResponseCodeIs(err, http.StatusForbidden) {
		t.Errorf("member reads admin: %v, want 403", err)
	}
	_, err = projects.Create(ctx, aliceIC, projects.CreateOpts{Name: "mine"}).Extract()
	if !gophercloud.ResponseCodeIs(err, http.StatusForbidden) {
		t.Errorf("member creates project: %v, want 403", err)
	}

	// Revoking the grant revokes alice's token.
	aliceToken := aliceProvider.Token()
	if err := roles.Unassign(ctx, ic, member.ID, roles.UnassignOpts{UserID: u.ID, ProjectID: p.ID}).ExtractErr(); err != nil {
		t.Fatal(err)
	}
	if ok, _ := tokens.Validate(ctx, ic, aliceToken); ok {
		t.Error("alice's token survived the revocation of her role")
	}
	_, err = openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{
		IdentityEndpoint: e.base + "/v3", Username: "alice", Password: "alice-pw", DomainID: "default",
		Scope: &gophercloud.AuthScope{ProjectID: p.ID},
	})
	if !gophercloud.ResponseCodeIs(err, http.StatusUnauthorized) {
		t.Errorf("auth without a role: %v, want 401", err)
	}

	// Updating and deleting.
	newName := "demo-renamed"
	if got, err := projects.Update(ctx, ic, p.ID, projects.UpdateOpts{Name: newName}).Extract(); err != nil || got.Name != newName {
		t.Errorf("update project = %+v, %v", got, err)
	}
	if err := users.Delete(ctx, ic, u.ID).ExtractErr(); err != nil {
		t.Fatal(err)
	}
	if err := users.Delete(ctx, ic, u.ID).ExtractErr(); !gophercloud.ResponseCodeIs(err, http.StatusNotFound) {
		t.Errorf("second delete: %v, want 404", err)
	}
	if err := projects.Delete(ctx, ic, p.ID).ExtractErr(); err != nil {
		t.Fatal(err)
	}
	if _, err := projects.Get(ctx, ic, p.ID).Extract(); !gophercloud.ResponseCodeIs(err, http.StatusNotFound) {
		t.Errorf("get deleted project: %v, want 404", err)
	}
}

func TestGophercloudApplicationCredentials(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t)
	provider, ic := e.admin(t)
	userID := mustUserID(t, provider)

	ac, err := applicationcredentials.Create(ctx, ic, userID, applicationcredentials.CreateOpts{
		Name: "ci", Description: "for CI", Roles: []applicationcredentials.Role{{Name: "member"}},
	}).Extract()
	if err != nil {
		t.Fatal(err)
	}
	if ac.Secret == "" || len(ac.Roles) != 1 || ac.Roles[0].Name != "member" || ac.Unrestricted {
		t.Fatalf("created %+v", ac)
	}
	got, err := applicationcredentials.Get(ctx, ic, userID, ac.ID).Extract()
	if err != nil || got.Secret != "" || got.Name != "ci" {
		t.Errorf("get = %+v, %v (the secret must not show again)", got, err)
	}
	pages, err := applicationcredentials.List(ic, userID, nil).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if list, _ := applicationcredentials.ExtractApplicationCredentials(pages); len(list) != 1 {
		t.Errorf("list = %+v", list)
	}

	for _, ao := range []gophercloud.AuthOptions{
		{ApplicationCredentialID: ac.ID, ApplicationCredentialSecret: ac.Secret},
		{ApplicationCredentialName: "ci", UserID: userID, ApplicationCredentialSecret: ac.Secret},
		{ApplicationCredentialName: "ci", Username: "admin", DomainName: "Default", ApplicationCredentialSecret: ac.Secret},
	} {
		acProvider, acIC := e.client(t, ao)
		res := tokens.Get(ctx, acIC, acProvider.Token())
		rs, err := res.ExtractRoles()
		if err != nil || len(rs) != 2 || rs[0].Name != "member" || rs[1].Name != "reader" {
			t.Errorf("app cred roles = %+v, %v", rs, err)
		}
		var body struct {
			Token struct {
				ApplicationCredential struct {
					ID         string `json:"id"`
					Restricted bool   `json:"restricted"`
				} `json:"application_credential"`
			} `json:"token"`
		}
		if err := res.ExtractIntoStructPtr(&body, ""); err != nil || body.Token.ApplicationCredential.ID != ac.ID || !body.Token.ApplicationCredential.Restricted {
			t.Errorf("token application_credential = %+v, %v", body, err)
		}
	}
	_, err = openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{
		IdentityEndpoint: e.base + "/v3", ApplicationCredentialID: ac.ID, ApplicationCredentialSecret: "wrong",
	})
	if !gophercloud.ResponseCodeIs(err, http.StatusUnauthorized) {
		t.Errorf("wrong secret: %v, want 401", err)
	}

	acProvider, _ := e.client(t, gophercloud.AuthOptions{ApplicationCredentialID: ac.ID, ApplicationCredentialSecret: ac.Secret})
	if err := applicationcredentials.Delete(ctx, ic, userID, ac.ID).ExtractErr(); err != nil {
		t.Fatal(err)
	}
	if ok, _ := tokens.Validate(ctx, ic, acProvider.Token()); ok {
		t.Error("token of a deleted application credential is still valid")
	}
	_, err = openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{
		IdentityEndpoint: e.base + "/v3", ApplicationCredentialID: ac.ID, ApplicationCredentialSecret: ac.Secret,
	})
	if !gophercloud.ResponseCodeIs(err, http.StatusUnauthorized) {
		t.Errorf("deleted credential: %v, want 401", err)
	}
}

func TestTokenRevocation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := newEnv(t)
	_, ic := e.admin(t)
	other, _ := e.admin(t)
	token := other.Token()
	if ok, err := tokens.Validate(ctx, ic, token); !ok || err != nil {
		t.Fatalf("Validate = %v, %v", ok, err)
	}
	if err := tokens.Revoke(ctx, ic, token).Err; err != nil {
		t.Fatal(err)
	}
	if ok, err := tokens.Validate(ctx, ic, token); ok || err != nil {
		t.Errorf("revoked token: Validate = %v, %v", ok, err)
	}
	resp, body := e.do(t, "GET", "/v3/users", token, nil, "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked token used: %d %s", resp.StatusCode, body)
	}
}

func TestTokenRescopeOverHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, body := e.do(t, "POST", "/v3/auth/tokens", "", nil,
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"`+adminPassword+`"}}},"scope":"unscoped"}}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("unscoped auth: %d %s", resp.StatusCode, body)
	}
	var doc v3.TokenResponse
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Token.Project != nil || doc.Token.Catalog != nil || len(doc.Token.Roles) != 0 {
		t.Errorf("unscoped token = %s", body)
	}
	unscoped := resp.Header.Get("X-Subject-Token")
	resp, body = e.do(t, "POST", "/v3/auth/tokens", "", nil,
		`{"auth":{"identity":{"methods":["token"],"token":{"id":"`+unscoped+`"}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("rescope: %d %s", resp.StatusCode, body)
	}
	doc = v3.TokenResponse{}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Token.Project == nil || doc.Token.Project.Name != "admin" || !slices.Contains(doc.Token.Methods, "token") {
		t.Errorf("rescoped token = %s", body)
	}
}

func mustUserID(t *testing.T, p *gophercloud.ProviderClient) string {
	t.Helper()
	res, ok := p.GetAuthResult().(tokens.CreateResult)
	if !ok {
		t.Fatalf("auth result is %T", p.GetAuthResult())
	}
	u, err := res.ExtractUser()
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
