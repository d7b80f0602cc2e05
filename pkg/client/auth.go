package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

// catalogTypes are the service types that name the Magnum endpoint, in
// order of preference.
var catalogTypes = []string{v1.ServiceType, "container-infrastructure-management", "container-infrastructure"}

// session is what one successful authentication yields.
type session struct {
	token     string
	endpoint  string
	projectID string
	// orchestration is the project's orchestration endpoint, or "" when
	// the catalog lists none.
	orchestration string
}

// Token request and response bodies of POST /v3/auth/tokens.
type tokenRequest struct {
	Auth tokenAuth `json:"auth"`
}

type tokenAuth struct {
	Identity tokenIdentity `json:"identity"`
	Scope    *tokenScope   `json:"scope,omitempty"`
}

type tokenIdentity struct {
	Methods               []string        `json:"methods"`
	Password              *passwordMethod `json:"password,omitempty"`
	Token                 *tokenMethod    `json:"token,omitempty"`
	ApplicationCredential *appCredMethod  `json:"application_credential,omitempty"`
}

type passwordMethod struct {
	User userRef `json:"user"`
}

type userRef struct {
	Name     string    `json:"name"`
	Domain   domainRef `json:"domain"`
	Password string    `json:"password"`
}

type domainRef struct {
	Name string `json:"name"`
}

type tokenMethod struct {
	ID string `json:"id"`
}

type appCredMethod struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

type tokenScope struct {
	Project *projectRef `json:"project,omitempty"`
}

type projectRef struct {
	Name   string    `json:"name"`
	Domain domainRef `json:"domain"`
}

type tokenResponse struct {
	Token struct {
		Project *struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"project"`
		Catalog []catalogService `json:"catalog"`
	} `json:"token"`
}

type catalogService struct {
	Type      string            `json:"type"`
	Name      string            `json:"name"`
	Endpoints []catalogEndpoint `json:"endpoints"`
}

type catalogEndpoint struct {
	Interface string `json:"interface"`
	URL       string `json:"url"`
	Region    string `json:"region"`
	RegionID  string `json:"region_id"`
}

// identityURL returns the v3 base of an auth URL.
func identityURL(authURL string) string {
	u := strings.TrimRight(authURL, "/")
	if !strings.HasSuffix(u, "/v3") {
		u += "/v3"
	}
	return u
}

// authRequest builds the token request for cfg: an application credential
// if one is set, else a password, else a token, scoped to the project.
func authRequest(cfg *Config) (*tokenRequest, error) {
	var id tokenIdentity
	switch {
	case cfg.ApplicationCredentialID != "":
		id.Methods = []string{"application_credential"}
		id.ApplicationCredential = &appCredMethod{ID: cfg.ApplicationCredentialID, Secret: cfg.ApplicationCredentialSecret}
		// An application credential carries its own scope.
		return &tokenRequest{Auth: tokenAuth{Identity: id}}, nil
	case cfg.Username != "":
		id.Methods = []string{"password"}
		id.Password = &passwordMethod{User: userRef{
			Name:     cfg.Username,
			Domain:   domainRef{Name: orDefault(cfg.UserDomainName)},
			Password: cfg.Password,
		}}
	case cfg.Token != "":
		id.Methods = []string{"token"}
		id.Token = &tokenMethod{ID: cfg.Token}
	default:
		return nil, fmt.Errorf("no credentials for %s: set a username and password, an application credential or a token", cfg.AuthURL)
	}
	req := &tokenRequest{Auth: tokenAuth{Identity: id}}
	if cfg.ProjectName != "" {
		req.Auth.Scope = &tokenScope{Project: &projectRef{
			Name:   cfg.ProjectName,
			Domain: domainRef{Name: orDefault(cfg.ProjectDomainName)},
		}}
	}
	return req, nil
}

func orDefault(domain string) string {
	if domain == "" {
		return "Default"
	}
	return domain
}

// authenticate obtains a token and finds the Magnum endpoint in its catalog.
func (c *Client) authenticate(ctx context.Context) (*session, error) {
	body, err := authRequest(&c.cfg)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode token request: %w", err)
	}
	u := identityURL(c.cfg.AuthURL) + "/auth/tokens"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("authenticate to %s: %w", c.cfg.AuthURL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("authenticate to %s: %w", c.cfg.AuthURL, err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("authenticate to %s: %w", c.cfg.AuthURL, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("authenticate to %s: %w", c.cfg.AuthURL, newAPIError(resp, respBody))
	}
	token := resp.Header.Get("X-Subject-Token")
	if token == "" {
		return nil, fmt.Errorf("authenticate to %s: response has no X-Subject-Token header", c.cfg.AuthURL)
	}
	var tr tokenResponse
	if err := json.Unmarshal(respBody, &tr); err != nil {
		return nil, fmt.Errorf("authenticate to %s: decode token: %w", c.cfg.AuthURL, err)
	}
	s := &session{token: token, endpoint: c.endpointOverride}
	if tr.Token.Project != nil {
		s.projectID = tr.Token.Project.ID
	}
	if s.endpoint == "" {
		ep, err := findEndpoint(tr.Token.Catalog, c.cfg.Region)
		if err != nil {
			return nil, err
		}
		s.endpoint = ep
	}
	s.endpoint = versionedEndpoint(s.endpoint)
	s.orchestration, _ = findService(tr.Token.Catalog, c.cfg.Region, "orchestration")
	s.orchestration = strings.TrimRight(s.orchestration, "/")
	return s, nil
}

// findEndpoint returns the public container-infra URL in catalog.
func findEndpoint(catalog []catalogService, region string) (string, error) {
	return findService(catalog, region, catalogTypes...)
}

// findService returns the public URL of the first of types in catalog.
func findService(catalog []catalogService, region string, types ...string) (string, error) {
	for _, typ := range types {
		for _, svc := range catalog {
			if svc.Type != typ {
				continue
			}
			for _, ep := range svc.Endpoints {
				if ep.Interface != "public" {
					continue
				}
				if region != "" && ep.Region != region && ep.RegionID != region {
					continue
				}
				return ep.URL, nil
			}
		}
	}
	where := ""
	if region != "" {
		where = " in region " + region
	}
	return "", fmt.Errorf("the service catalog has no public %s endpoint%s", types[0], where)
}

var versionSuffix = regexp.MustCompile(`/v\d+$`)

// versionedEndpoint makes sure the endpoint ends in /v1, as magnumclient
// expects of the catalog.
func versionedEndpoint(u string) string {
	u = strings.TrimRight(u, "/")
	if !versionSuffix.MatchString(u) {
		u += "/v1"
	}
	return u
}
