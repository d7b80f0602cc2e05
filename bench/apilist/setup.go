package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/slipway/slipway/internal/provider/local"
	"github.com/slipway/slipway/internal/server"
	v3 "github.com/slipway/slipway/pkg/apis/identity/v3"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

// Paths under a server's root URL.
const (
	identityPath = server.IdentityPrefix + "/v3"
	magnumPath   = server.MagnumPrefix + "/v1"
)

// session is a project-scoped token and who it belongs to.
type session struct {
	Token     string
	UserID    string
	ProjectID string
}

// apiClient makes the few setup calls the benchmark needs.
type apiClient struct {
	base string
	hc   *http.Client
}

// call sends in as JSON (unless nil) to base+path, checks that the answer
// has status want and decodes its body into out (unless nil). It returns
// the response headers.
func (c *apiClient) call(ctx context.Context, method, path, token string, in, out any, want int) (http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode request: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set(v3.HeaderAuthToken, token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read response: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("%s %s: decode response: %w", method, path, err)
		}
	}
	return resp.Header, nil
}

// login issues a token for user on project with a password.
func (c *apiClient) login(ctx context.Context, user, password, project string) (session, error) {
	dom := &v3.DomainRef{Name: "Default"}
	in := v3.AuthRequest{Auth: v3.Auth{
		Identity: v3.Identity{Methods: []string{"password"}, Password: &v3.PasswordMethod{
			User: v3.AuthUser{Name: user, Domain: dom, Password: password},
		}},
		Scope: &v3.Scope{Project: &v3.ScopeProject{Name: project, Domain: dom}},
	}}
	var out v3.TokenResponse
	h, err := c.call(ctx, http.MethodPost, identityPath+"/auth/tokens?nocatalog", "", in, &out, http.StatusCreated)
	if err != nil {
		return session{}, fmt.Errorf("log in as %s: %w", user, err)
	}
	s := session{Token: h.Get(v3.HeaderSubjectToken), UserID: out.Token.User.ID}
	if out.Token.Project != nil {
		s.ProjectID = out.Token.Project.ID
	}
	if s.Token == "" || s.ProjectID == "" {
		return session{}, fmt.Errorf("log in as %s: no token or project in the answer", user)
	}
	return s, nil
}

// createMember creates user name with password and grants it the member
// role on project.
func (c *apiClient) createMember(ctx context.Context, admin session, name, password, project string) error {
	enabled := true
	var user v3.UserResponse
	in := v3.UserCreateRequest{User: v3.UserCreate{Name: name, Password: password, DefaultProjectID: project, Enabled: &enabled}}
	if _, err := c.call(ctx, http.MethodPost, identityPath+"/users", admin.Token, in, &user, http.StatusCreated); err != nil {
		return fmt.Errorf("create user %s: %w", name, err)
	}
	var roles v3.RolesResponse
	if _, err := c.call(ctx, http.MethodGet, identityPath+"/roles?name=member", admin.Token, nil, &roles, http.StatusOK); err != nil {
		return fmt.Errorf("find role member: %w", err)
	}
	if len(roles.Roles) != 1 {
		return fmt.Errorf("find role member: %d roles match", len(roles.Roles))
	}
	grant := fmt.Sprintf("%s/projects/%s/users/%s/roles/%s", identityPath,
		url.PathEscape(project), url.PathEscape(user.User.ID), url.PathEscape(roles.Roles[0].ID))
	if _, err := c.call(ctx, http.MethodPut, grant, admin.Token, nil, nil, http.StatusNoContent); err != nil {
		return fmt.Errorf("grant member to %s: %w", name, err)
	}
	return nil
}

// templateLabels are the labels of the benchmark's template, and so of its
// clusters: what a Magnum Kubernetes template customarily sets.
var templateLabels = map[string]string{
	"kube_tag":               "v1.30.4",
	"container_runtime":      "containerd",
	"cloud_provider_enabled": "true",
	"auto_healing_enabled":   "true",
	"min_node_count":         "1",
	"max_node_count":         "10",
}

// createTemplate creates the cluster template the seeded clusters use.
func (c *apiClient) createTemplate(ctx context.Context, admin session) (*v1.ClusterTemplate, error) {
	s := func(v string) *string { return &v }
	size, yes := 50, true
	in := v1.ClusterTemplateCreate{
		Name: s("bench-k8s"), COE: s("kubernetes"), ImageID: s(local.ImageName),
		FlavorID: s("3"), MasterFlavorID: s("2"), ExternalNetworkID: s(local.ExternalNetworkName),
		NetworkDriver: s("calico"), DockerVolumeSize: &size, Labels: templateLabels,
		MasterLBEnabled: &yes, FloatingIPEnabled: &yes,
	}
	var out v1.ClusterTemplate
	if _, err := c.call(ctx, http.MethodPost, magnumPath+"/clustertemplates", admin.Token, in, &out, http.StatusCreated); err != nil {
		return nil, fmt.Errorf("create cluster template: %w", err)
	}
	return &out, nil
}
