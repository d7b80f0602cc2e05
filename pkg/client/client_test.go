package client_test

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
	"github.com/slipway/slipway/pkg/client"
	"github.com/slipway/slipway/pkg/client/clienttest"
)

func newClient(t *testing.T, srv *clienttest.Server, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(t.Context(), srv.Config(), opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestNewAuthenticates(t *testing.T) {
	t.Parallel()
	srv := clienttest.NewServer(t)
	tests := []struct {
		name       string
		cfg        func() *client.Config
		wantMethod string
		wantErr    string
	}{
		{name: "password", cfg: srv.Config, wantMethod: "password"},
		{name: "auth url without version", cfg: func() *client.Config {
			c := srv.Config()
			c.AuthURL = srv.URL + "/identity/"
			return c
		}, wantMethod: "password"},
		{name: "application credential", cfg: func() *client.Config {
			return &client.Config{AuthURL: srv.AuthURL(), ApplicationCredentialID: clienttest.AppCredID, ApplicationCredentialSecret: clienttest.AppCredSec}
		}, wantMethod: "application_credential"},
		{name: "wrong password", cfg: func() *client.Config {
			c := srv.Config()
			c.Password = "wrong"
			return c
		}, wantErr: "The request you have made requires authentication. (HTTP 401)"},
		{name: "no credentials", cfg: func() *client.Config {
			return &client.Config{AuthURL: srv.AuthURL()}
		}, wantErr: "no credentials"},
		{name: "region without endpoint", cfg: func() *client.Config {
			c := srv.Config()
			c.Region = "Elsewhere"
			return c
		}, wantErr: "no public container-infra endpoint in region Elsewhere"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := client.New(t.Context(), tc.cfg())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := c.Endpoint(), srv.URL+clienttest.MagnumPrefix; got != want {
				t.Errorf("Endpoint = %q, want the catalog's public URL %q", got, want)
			}
			if got := c.ProjectID(); got != clienttest.ProjectID {
				t.Errorf("ProjectID = %q, want %q", got, clienttest.ProjectID)
			}
			auths := srv.Auths()
			if got := auths[len(auths)-1]; got != tc.wantMethod {
				t.Errorf("auth method = %q, want %q", got, tc.wantMethod)
			}
		})
	}
}

func TestWithEndpointSkipsCatalog(t *testing.T) {
	t.Parallel()
	srv := clienttest.NewServer(t)
	cfg := srv.Config()
	cfg.Region = "Elsewhere" // no catalog entry matches, but none is needed
	c, err := client.New(t.Context(), cfg, client.WithEndpoint(srv.URL+"/container-infra"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Endpoint(), srv.URL+"/container-infra/v1"; got != want {
		t.Errorf("Endpoint = %q, want %q", got, want)
	}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	srv := clienttest.NewServer(t)
	srv.Handle("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusOK, v1.Stats{Clusters: 2, Nodes: 5})
	})
	tests := []struct {
		name    string
		opts    []client.Option
		version string
	}{
		{name: "latest by default", version: "container-infra latest"},
		{name: "explicit microversion", opts: []client.Option{client.WithMicroversion("1.9")}, version: "container-infra 1.9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, srv, tc.opts...)
			st, err := c.Stats().Get(t.Context(), "")
			if err != nil {
				t.Fatal(err)
			}
			if st.Clusters != 2 || st.Nodes != 5 {
				t.Errorf("stats = %+v", st)
			}
			h := srv.LastRequest().Header
			for k, want := range map[string]string{
				"OpenStack-API-Version": tc.version,
				"Accept":                "application/json",
				"Content-Type":          "application/json",
			} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if h.Get("X-Auth-Token") == "" {
				t.Error("no X-Auth-Token sent")
			}
		})
	}
}

func TestReauthenticatesOnceOn401(t *testing.T) {
	t.Parallel()
	srv := clienttest.NewServer(t)
	srv.Handle("GET /clusters/{id}", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusOK, v1.Cluster{UUID: "u-1", Name: r.PathValue("id")})
	})
	c := newClient(t, srv)
	srv.ExpireTokens()
	cl, err := c.Clusters().Get(t.Context(), "k8s")
	if err != nil {
		t.Fatalf("Get after token expiry: %v", err)
	}
	if cl.Name != "k8s" {
		t.Errorf("name = %q", cl.Name)
	}
	if got := srv.Auths(); !reflect.DeepEqual(got, []string{"password", "password"}) {
		t.Errorf("auths = %v, want one initial and one re-authentication", got)
	}
}

func TestErrorDecoding(t *testing.T) {
	t.Parallel()
	srv := clienttest.NewServer(t)
	srv.Handle("GET /clusters/{id}", func(w http.ResponseWriter, r *http.Request) {
		switch r.PathValue("id") {
		case "missing":
			clienttest.WriteError(w, http.StatusNotFound, "Cluster missing could not be found.")
		case "keystone":
			w.Header().Set("X-OpenStack-Request-Id", "")
			clienttest.WriteJSON(w, http.StatusForbidden, map[string]any{"error": map[string]any{"code": 403, "title": "Forbidden", "message": "You are not authorized."}})
		case "bare":
			w.Header().Set("X-OpenStack-Request-Id", "")
			clienttest.WriteJSON(w, http.StatusMethodNotAllowed, map[string]any{"errors": []any{map[string]any{"title": "", "detail": "", "request_id": "req-body"}}})
		}
	})
	c := newClient(t, srv)
	tests := []struct {
		id       string
		want     client.APIError
		notFound bool
		text     string
	}{
		{id: "missing", want: client.APIError{StatusCode: 404, Message: "Cluster missing could not be found.", RequestID: clienttest.RequestID}, notFound: true,
			text: "Cluster missing could not be found. (HTTP 404, request " + clienttest.RequestID + ")"},
		{id: "keystone", want: client.APIError{StatusCode: 403, Message: "You are not authorized."}, text: "You are not authorized. (HTTP 403)"},
		{id: "bare", want: client.APIError{StatusCode: 405, Message: "Method Not Allowed", RequestID: "req-body"}, text: "Method Not Allowed (HTTP 405, request req-body)"},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			_, err := c.Clusters().Get(t.Context(), tc.id)
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want *client.APIError", err, err)
			}
			if *apiErr != tc.want {
				t.Errorf("APIError = %+v, want %+v", *apiErr, tc.want)
			}
			if got := client.IsNotFound(fmt.Errorf("wrapped: %w", err)); got != tc.notFound {
				t.Errorf("IsNotFound = %v, want %v", got, tc.notFound)
			}
			if err.Error() != tc.text {
				t.Errorf("Error() = %q, want %q", err.Error(), tc.text)
			}
		})
	}
}

// pagedClusters serves three pages of clusters; its next links use another
// host name, as a server behind a proxy would.
func pagedClusters(srv *clienttest.Server) {
	pages := map[string]struct {
		items []string
		next  string
	}{
		"":   {[]string{"a", "b"}, "http://proxy.invalid" + clienttest.MagnumPrefix + "/clusters?limit=2&marker=b"},
		"b":  {[]string{"c", "d"}, clienttest.MagnumPrefix + "/clusters?limit=2&marker=d"},
		"d":  {[]string{"e"}, ""},
		"zz": {nil, ""},
	}
	srv.Handle("GET /clusters", func(w http.ResponseWriter, r *http.Request) {
		p := pages[r.URL.Query().Get("marker")]
		out := v1.ClusterList{Next: p.next, Clusters: []v1.ClusterSummary{}}
		for _, n := range p.items {
			out.Clusters = append(out.Clusters, v1.ClusterSummary{UUID: "uuid-" + n, Name: n})
		}
		clienttest.WriteJSON(w, http.StatusOK, out)
	})
}

func TestListFollowsNext(t *testing.T) {
	t.Parallel()
	srv := clienttest.NewServer(t)
	pagedClusters(srv)
	c := newClient(t, srv)
	tests := []struct {
		name      string
		opts      client.ListOptions
		want      []string
		wantQuery string
	}{
		{name: "all pages", want: []string{"a", "b", "c", "d", "e"}},
		{name: "limit stops early", opts: client.ListOptions{Limit: 3}, want: []string{"a", "b", "c"}, wantQuery: "limit=3"},
		{name: "sorting is sent", opts: client.ListOptions{SortKey: "name", SortDir: "desc", Marker: "d"}, want: []string{"e"}, wantQuery: "marker=d&sort_dir=desc&sort_key=name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(srv.Requests())
			got, err := c.Clusters().List(t.Context(), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, cl := range got {
				names = append(names, cl.Name)
			}
			if !reflect.DeepEqual(names, tc.want) {
				t.Errorf("names = %v, want %v", names, tc.want)
			}
			if q := srv.Requests()[before].Query; q != tc.wantQuery {
				t.Errorf("first query = %q, want %q", q, tc.wantQuery)
			}
		})
	}
}

// TestRoutes checks that every method sends the right request and decodes
// the response.
func TestRoutes(t *testing.T) {
	t.Parallel()
	srv := clienttest.NewServer(t)
	type route struct {
		status int
		body   any
	}
	routes := map[string]route{
		"GET /clustertemplates":                 {200, v1.ClusterTemplateList{ClusterTemplates: []v1.ClusterTemplate{{UUID: "t-1"}}}},
		"GET /clustertemplates/{id}":            {200, v1.ClusterTemplate{UUID: "t-1", COE: "kubernetes"}},
		"POST /clustertemplates":                {201, v1.ClusterTemplate{UUID: "t-1"}},
		"PATCH /clustertemplates/{id}":          {200, v1.ClusterTemplate{UUID: "t-1"}},
		"DELETE /clustertemplates/{id}":         {204, nil},
		"GET /clusters/detail":                  {200, v1.ClusterDetailList{Clusters: []v1.Cluster{{UUID: "c-1", Status: "CREATE_COMPLETE"}}}},
		"POST /clusters":                        {202, v1.UUIDResponse{UUID: "c-1"}},
		"PATCH /clusters/{id}":                  {202, v1.UUIDResponse{UUID: "c-1"}},
		"DELETE /clusters/{id}":                 {204, nil},
		"POST /clusters/{id}/actions/resize":    {202, v1.UUIDResponse{UUID: "c-1"}},
		"POST /clusters/{id}/actions/upgrade":   {202, v1.UUIDResponse{UUID: "c-1"}},
		"GET /clusters/{id}/nodegroups":         {200, v1.NodeGroupList{NodeGroups: []v1.NodeGroupSummary{{UUID: "n-1", Role: "worker"}}}},
		"GET /clusters/{id}/nodegroups/{ng}":    {200, v1.NodeGroup{UUID: "n-1"}},
		"POST /clusters/{id}/nodegroups":        {202, v1.NodeGroup{UUID: "n-1"}},
		"PATCH /clusters/{id}/nodegroups/{ng}":  {202, v1.NodeGroup{UUID: "n-1"}},
		"DELETE /clusters/{id}/nodegroups/{ng}": {204, nil},
		"GET /certificates/{id}":                {200, v1.Certificate{ClusterUUID: "c-1", PEM: "CA"}},
		"POST /certificates":                    {201, v1.Certificate{ClusterUUID: "c-1", PEM: "CERT"}},
		"PATCH /certificates/{id}":              {202, v1.UUIDResponse{UUID: "c-1"}},
		"GET /quotas":                           {200, v1.QuotaList{Quotas: []v1.Quota{{ProjectID: "p", Resource: "Cluster", HardLimit: 3}}}},
		"GET /quotas/{p}/{r}":                   {200, v1.Quota{ProjectID: "p", Resource: "Cluster", HardLimit: 3}},
		"POST /quotas":                          {201, v1.Quota{ProjectID: "p", Resource: "Cluster", HardLimit: 3}},
		"PATCH /quotas/{p}/{r}":                 {202, v1.Quota{ProjectID: "p", Resource: "Cluster", HardLimit: 4}},
		"DELETE /quotas/{p}/{r}":                {204, nil},
		"GET /stats":                            {200, v1.Stats{Clusters: 1, Nodes: 3}},
	}
	for pattern, rt := range routes {
		srv.Handle(pattern, func(w http.ResponseWriter, r *http.Request) {
			if rt.body == nil {
				w.WriteHeader(rt.status)
				return
			}
			clienttest.WriteJSON(w, rt.status, rt.body)
		})
	}
	c := newClient(t, srv)
	ctx := t.Context()
	two := 2
	limit := 5
	tests := []struct {
		name     string
		call     func() (any, error)
		want     any
		wantReq  string // method, path and query
		wantBody string
	}{
		{"template list", func() (any, error) {
			l, err := c.ClusterTemplates().List(ctx, client.ListOptions{})
			return len(l), err
		}, 1, "GET /clustertemplates", ""},
		{"template get", func() (any, error) { t, err := c.ClusterTemplates().Get(ctx, "my tmpl"); return t.COE, err }, "kubernetes", "GET /clustertemplates/my%20tmpl", ""},
		{"template create", func() (any, error) {
			name := "k8s"
			t, err := c.ClusterTemplates().Create(ctx, v1.ClusterTemplateCreate{Name: &name})
			return t.UUID, err
		}, "t-1", "POST /clustertemplates", `{"name":"k8s"}`},
		{"template update", func() (any, error) {
			t, err := c.ClusterTemplates().Update(ctx, "k8s", []v1.PatchOp{{Op: "replace", Path: "/public", Value: true}})
			return t.UUID, err
		}, "t-1", "PATCH /clustertemplates/k8s", `[{"op":"replace","path":"/public","value":true}]`},
		{"template delete", func() (any, error) { return nil, c.ClusterTemplates().Delete(ctx, "k8s") }, nil, "DELETE /clustertemplates/k8s", ""},
		{"cluster list detail", func() (any, error) {
			l, err := c.Clusters().ListDetail(ctx, client.ListOptions{})
			return l[0].Status, err
		}, "CREATE_COMPLETE", "GET /clusters/detail", ""},
		{"cluster create", func() (any, error) {
			return c.Clusters().Create(ctx, v1.ClusterCreate{NodeCount: &two})
		}, "c-1", "POST /clusters", `{"node_count":2}`},
		{"cluster update", func() (any, error) {
			return c.Clusters().Update(ctx, "k", []v1.PatchOp{{Op: "replace", Path: "/node_count", Value: 2}})
		}, "c-1", "PATCH /clusters/k", `[{"op":"replace","path":"/node_count","value":2}]`},
		{"cluster delete", func() (any, error) { return nil, c.Clusters().Delete(ctx, "k") }, nil, "DELETE /clusters/k", ""},
		{"cluster resize", func() (any, error) {
			return c.Clusters().Resize(ctx, "k", v1.ResizeRequest{NodeCount: &two, NodesToRemove: []string{"n1"}, NodeGroup: "ng"})
		}, "c-1", "POST /clusters/k/actions/resize", `{"node_count":2,"nodes_to_remove":["n1"],"nodegroup":"ng"}`},
		{"cluster upgrade", func() (any, error) {
			return c.Clusters().Upgrade(ctx, "k", v1.UpgradeRequest{ClusterTemplate: "t2"})
		}, "c-1", "POST /clusters/k/actions/upgrade", `{"cluster_template":"t2"}`},
		{"nodegroup list", func() (any, error) { l, err := c.NodeGroups().List(ctx, "k", "worker"); return l[0].Role, err }, "worker", "GET /clusters/k/nodegroups?role=worker", ""},
		{"nodegroup get", func() (any, error) { n, err := c.NodeGroups().Get(ctx, "k", "ng"); return n.UUID, err }, "n-1", "GET /clusters/k/nodegroups/ng", ""},
		{"nodegroup create", func() (any, error) {
			name := "ng"
			n, err := c.NodeGroups().Create(ctx, "k", v1.NodeGroupCreate{Name: &name, MaxNodeCount: &limit})
			return n.UUID, err
		}, "n-1", "POST /clusters/k/nodegroups", `{"name":"ng","max_node_count":5}`},
		{"nodegroup update", func() (any, error) {
			n, err := c.NodeGroups().Update(ctx, "k", "ng", []v1.PatchOp{{Op: "replace", Path: "/max_node_count", Value: 5}})
			return n.UUID, err
		}, "n-1", "PATCH /clusters/k/nodegroups/ng", `[{"op":"replace","path":"/max_node_count","value":5}]`},
		{"nodegroup delete", func() (any, error) { return nil, c.NodeGroups().Delete(ctx, "k", "ng") }, nil, "DELETE /clusters/k/nodegroups/ng", ""},
		{"ca show", func() (any, error) { crt, err := c.Certificates().GetCA(ctx, "k", "etcd"); return crt.PEM, err }, "CA", "GET /certificates/k?ca_cert_type=etcd", ""},
		{"ca sign", func() (any, error) { crt, err := c.Certificates().Sign(ctx, "k", "CSR"); return crt.PEM, err }, "CERT", "POST /certificates", `{"cluster_uuid":"k","csr":"CSR"}`},
		{"ca rotate", func() (any, error) { return nil, c.Certificates().RotateCA(ctx, "k") }, nil, "PATCH /certificates/k", ""},
		{"quota list", func() (any, error) { l, err := c.Quotas().List(ctx, true); return l[0].HardLimit, err }, 3, "GET /quotas?all_tenants=true", ""},
		{"quota get", func() (any, error) { q, err := c.Quotas().Get(ctx, "p", "Cluster"); return q.HardLimit, err }, 3, "GET /quotas/p/Cluster", ""},
		{"quota create", func() (any, error) {
			p, r := "p", "Cluster"
			q, err := c.Quotas().Create(ctx, v1.QuotaRequest{ProjectID: &p, Resource: &r, HardLimit: &two})
			return q.HardLimit, err
		}, 3, "POST /quotas", `{"project_id":"p","resource":"Cluster","hard_limit":2}`},
		{"quota update", func() (any, error) {
			q, err := c.Quotas().Update(ctx, "p", "Cluster", v1.QuotaRequest{HardLimit: &two})
			return q.HardLimit, err
		}, 4, "PATCH /quotas/p/Cluster", `{"hard_limit":2}`},
		{"quota delete", func() (any, error) { return nil, c.Quotas().Delete(ctx, "p", "Cluster") }, nil, "DELETE /quotas/p/Cluster", ""},
		{"stats", func() (any, error) { s, err := c.Stats().Get(ctx, "p"); return s.Nodes, err }, 3, "GET /stats?project_id=p", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(srv.Requests())
			got, err := tc.call()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("result = %#v, want %#v", got, tc.want)
			}
			reqs := srv.Requests()[before:]
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.String() != tc.wantReq {
				t.Errorf("request = %q, want %q", r, tc.wantReq)
			}
			if r.Body != tc.wantBody {
				t.Errorf("body = %s, want %s", r.Body, tc.wantBody)
			}
		})
	}
}
