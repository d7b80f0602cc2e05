package identity

import (
	"errors"
	"net/http"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/identity"
	"github.com/slipway/slipway/internal/model"
	v3 "github.com/slipway/slipway/pkg/apis/identity/v3"
)

// roleService is the role that may validate and revoke anyone's tokens,
// besides admin, as in Keystone's policy.
const roleService = "service"

func (s *server) versionDoc(r *http.Request) v3.Version {
	return v3.Version{
		ID:      v3.VersionID,
		Status:  "stable",
		Updated: v3.VersionUpdated,
		Links:   []v3.Link{{Rel: "self", Href: s.baseURL(r) + "/v3/"}},
		MediaTypes: []v3.MediaTypeDesc{
			{Base: "application/json", Type: v3.MediaType},
		},
	}
}

// versions serves GET /: the versions list, with 300 Multiple Choices as
// Keystone answers.
func (s *server) versions(w http.ResponseWriter, r *http.Request) error {
	var body v3.VersionsResponse
	body.Versions.Values = []v3.Version{s.versionDoc(r)}
	api.WriteJSON(w, http.StatusMultipleChoices, body)
	return nil
}

// version serves GET /v3.
func (s *server) version(w http.ResponseWriter, r *http.Request) error {
	api.WriteJSON(w, http.StatusOK, v3.VersionResponse{Version: s.versionDoc(r)})
	return nil
}

// authRequest translates the wire request into the service's.
func authRequest(in *v3.AuthRequest) identity.AuthRequest {
	id := in.Auth.Identity
	out := identity.AuthRequest{Methods: id.Methods}
	if id.Password != nil {
		out.Password = &identity.PasswordAuth{User: userRef(&id.Password.User), Password: id.Password.User.Password}
	}
	if id.Token != nil {
		out.Token = id.Token.ID
	}
	if ac := id.ApplicationCredential; ac != nil {
		out.AppCred = &identity.AppCredAuth{ID: ac.ID, Name: ac.Name, Secret: ac.Secret}
		if ac.User != nil {
			out.AppCred.User = userRef(ac.User)
		}
	}
	if sc := in.Auth.Scope; sc != nil {
		switch {
		case sc.Unscoped:
			out.Scope.Unscoped = true
		case sc.Project != nil:
			p := &identity.ProjectRef{ID: sc.Project.ID, Name: sc.Project.Name}
			if d := sc.Project.Domain; d != nil {
				p.DomainID, p.DomainName = d.ID, d.Name
			}
			out.Scope.Project = p
		case sc.Domain != nil:
			out.Scope.Other = "domain"
		case len(sc.System) > 0:
			out.Scope.Other = "system"
		case len(sc.Trust) > 0:
			out.Scope.Other = "trust"
		}
	}
	return out
}

func userRef(u *v3.AuthUser) identity.UserRef {
	ref := identity.UserRef{ID: u.ID, Name: u.Name}
	if u.Domain != nil {
		ref.DomainID, ref.DomainName = u.Domain.ID, u.Domain.Name
	}
	return ref
}

// issueToken serves POST /v3/auth/tokens.
func (s *server) issueToken(w http.ResponseWriter, r *http.Request) error {
	var req v3.AuthRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	token, _, _, err := s.svc.Authenticate(r.Context(), authRequest(&req))
	if err != nil {
		return err
	}
	ti, err := s.svc.Inspect(r.Context(), token)
	if err != nil {
		return err
	}
	w.Header().Set(v3.HeaderSubjectToken, token)
	api.WriteJSON(w, http.StatusCreated, s.tokenBody(ti, !boolQuery(r, "nocatalog")))
	return nil
}

// subjectToken validates the X-Subject-Token of r and checks that the
// caller may see it: its own token, or any token for admin and service
// roles. An invalid subject token is a 404, as in Keystone.
func (s *server) subjectToken(r *http.Request) (string, *identity.TokenInfo, error) {
	subject := r.Header.Get(v3.HeaderSubjectToken)
	if subject == "" {
		return "", nil, model.Invalidf("The %s header is required.", v3.HeaderSubjectToken)
	}
	ti, err := s.svc.Inspect(r.Context(), subject)
	if err != nil {
		var ue *model.UserError
		if errors.Is(err, model.ErrUnauthorized) && errors.As(err, &ue) {
			return "", nil, model.NotFoundf("Could not find the token. %s", ue.Message)
		}
		return "", nil, err
	}
	c := caller(r)
	if c.UserID != ti.UserID && !c.IsAdmin() && !c.HasRole(roleService) {
		return "", nil, model.Forbiddenf("You are not authorized to perform the requested action: identity:validate_token.")
	}
	return subject, ti, nil
}

// validateToken serves GET and HEAD /v3/auth/tokens.
func (s *server) validateToken(w http.ResponseWriter, r *http.Request) error {
	subject, ti, err := s.subjectToken(r)
	if err != nil {
		return err
	}
	w.Header().Set(v3.HeaderSubjectToken, subject)
	api.WriteJSON(w, http.StatusOK, s.tokenBody(ti, !boolQuery(r, "nocatalog")))
	return nil
}

// revokeToken serves DELETE /v3/auth/tokens.
func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	subject, _, err := s.subjectToken(r)
	if err != nil {
		return err
	}
	if err := s.svc.RevokeToken(r.Context(), subject); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// authProjects serves GET /v3/auth/projects: the enabled projects the
// caller holds a role on.
func (s *server) authProjects(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.svc.UserProjects(r.Context(), caller(r).UserID)
	if err != nil {
		return err
	}
	out := v3.ProjectsResponse{Projects: []v3.Project{}, Links: s.collectionLinks(r)}
	for _, p := range ps {
		if p.Enabled {
			out.Projects = append(out.Projects, s.project(r, p))
		}
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

// authDomains serves GET /v3/auth/domains; Slipway has no domain-scoped
// roles, so the list is empty.
func (s *server) authDomains(w http.ResponseWriter, r *http.Request) error {
	api.WriteJSON(w, http.StatusOK, v3.DomainsResponse{Domains: []v3.Domain{}, Links: s.collectionLinks(r)})
	return nil
}

// authCatalog serves GET /v3/auth/catalog.
func (s *server) authCatalog(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	if !c.Scoped() {
		return model.Forbiddenf("A project-scoped token is required to retrieve a service catalog.")
	}
	api.WriteJSON(w, http.StatusOK, v3.CatalogResponse{Catalog: s.catalog(c.ProjectID), Links: s.collectionLinks(r)})
	return nil
}

func (s *server) catalog(projectID string) []v3.Service {
	entries := s.svc.Catalog(projectID)
	out := make([]v3.Service, 0, len(entries))
	for _, e := range entries {
		svc := v3.Service{ID: e.ID, Type: e.Type, Name: e.Name, Endpoints: make([]v3.Endpoint, 0, len(e.Endpoints))}
		for _, ep := range e.Endpoints {
			svc.Endpoints = append(svc.Endpoints, v3.Endpoint{
				ID: ep.ID, Interface: ep.Interface, Region: ep.Region, RegionID: ep.Region, URL: ep.URL,
			})
		}
		out = append(out, svc)
	}
	return out
}

// tokenBody renders a token as Keystone does. Unscoped tokens have no
// project, roles or catalog.
func (s *server) tokenBody(ti *identity.TokenInfo, withCatalog bool) v3.TokenResponse {
	domain := v3.DomainRef{ID: model.DefaultDomainID, Name: model.DefaultDomainName}
	t := v3.Token{
		Methods:   ti.Methods,
		User:      v3.TokenUser{ID: ti.UserID, Name: ti.UserName, Domain: domain},
		ExpiresAt: v3.Time{Time: ti.ExpiresAt},
		IssuedAt:  v3.Time{Time: ti.IssuedAt},
		AuditIDs:  []string{ti.AuditID},
	}
	if ti.Scoped() {
		t.Project = &v3.TokenProject{ID: ti.ProjectID, Name: ti.ProjectName, Domain: domain}
		t.Roles = make([]v3.RoleRef, len(ti.Roles))
		for i, name := range ti.Roles {
			t.Roles[i] = v3.RoleRef{ID: ti.RoleIDs[i], Name: name}
		}
		if withCatalog {
			cat := s.catalog(ti.ProjectID)
			t.Catalog = &cat
		}
	}
	if ti.AppCredID != "" {
		t.ApplicationCredential = &v3.TokenAppCred{ID: ti.AppCredID, Name: ti.AppCredName, Restricted: ti.AppCredRestricted}
	}
	return v3.TokenResponse{Token: t}
}
