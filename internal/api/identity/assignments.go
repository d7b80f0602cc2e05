package identity

import (
	"net/http"
	"time"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/identity"
	"github.com/slipway/slipway/internal/model"
	v3 "github.com/slipway/slipway/pkg/apis/identity/v3"
)

// listGrants serves GET /v3/projects/{p}/users/{u}/roles: the roles
// assigned to a user on a project.
func (s *server) listGrants(w http.ResponseWriter, r *http.Request) error {
	p, u := r.PathValue("p"), r.PathValue("u")
	if err := requireSelfOrAdmin(r, u, "identity:list_grants"); err != nil {
		return err
	}
	if _, err := s.svc.ProjectByID(r.Context(), p); err != nil {
		return err
	}
	if _, err := s.svc.GetUser(r.Context(), u); err != nil {
		return err
	}
	rs, err := s.svc.UserRoles(r.Context(), p, u)
	if err != nil {
		return err
	}
	out := v3.RolesResponse{Roles: []v3.Role{}, Links: s.collectionLinks(r)}
	for _, role := range rs {
		out.Roles = append(out.Roles, s.role(r, role))
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) grant(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r, "identity:create_grant"); err != nil {
		return err
	}
	if err := s.svc.Grant(r.Context(), r.PathValue("p"), r.PathValue("u"), r.PathValue("r")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkGrant serves HEAD (and GET) /v3/projects/{p}/users/{u}/roles/{r}.
func (s *server) checkGrant(w http.ResponseWriter, r *http.Request) error {
	u := r.PathValue("u")
	if err := requireSelfOrAdmin(r, u, "identity:check_grant"); err != nil {
		return err
	}
	if err := s.svc.CheckGrant(r.Context(), r.PathValue("p"), u, r.PathValue("r")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) revokeGrant(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r, "identity:revoke_grant"); err != nil {
		return err
	}
	if err := s.svc.Revoke(r.Context(), r.PathValue("p"), r.PathValue("u"), r.PathValue("r")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listAssignments serves GET /v3/role_assignments with the filters
// user.id, scope.project.id and role.id, and the flags include_names and
// effective (which adds implied roles). Admins see every assignment;
// others only their own.
func (s *server) listAssignments(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := identity.AssignmentFilter{
		UserID:    q.Get("user.id"),
		ProjectID: q.Get("scope.project.id"),
		RoleID:    q.Get("role.id"),
	}
	if c := caller(r); !c.IsAdmin() && (f.UserID == "" || f.UserID != c.UserID) {
		return model.Forbiddenf("You are not authorized to perform the requested action: identity:list_role_assignments.")
	}
	out := v3.RoleAssignmentsResponse{RoleAssignments: []v3.RoleAssignment{}, Links: s.collectionLinks(r)}
	// Groups, domain and system assignments do not exist in Slipway.
	if q.Get("group.id") != "" || q.Get("scope.domain.id") != "" || q.Get("scope.system") != "" {
		api.WriteJSON(w, http.StatusOK, out)
		return nil
	}
	as, err := s.svc.ListAssignments(r.Context(), f)
	if err != nil {
		return err
	}
	roleNames, err := s.svc.RoleNames(r.Context())
	if err != nil {
		return err
	}
	names := newNameCache(s.svc, boolQuery(r, "include_names"))
	effective := boolQuery(r, "effective")
	seen := map[[3]string]bool{}
	base := s.baseURL(r)
	for _, a := range as {
		roles := []string{a.RoleID}
		if effective {
			roles = nil
			for _, name := range identity.ExpandRoles([]string{roleNames[a.RoleID]}) {
				if id := roleID(roleNames, name); id != "" && (f.RoleID == "" || f.RoleID == id) {
					roles = append(roles, id)
				}
			}
		}
		for _, rid := range roles {
			key := [3]string{a.ProjectID, a.UserID, rid}
			if seen[key] {
				continue
			}
			seen[key] = true
			ra := v3.RoleAssignment{
				Role:  v3.RoleRef{ID: rid},
				User:  v3.AssignmentActor{ID: a.UserID},
				Scope: v3.RoleAssignmentScope{Project: v3.AssignmentActor{ID: a.ProjectID}},
				Links: v3.RoleAssignmentLinks{
					Assignment: base + "/v3/projects/" + a.ProjectID + "/users/" + a.UserID + "/roles/" + a.RoleID,
				},
			}
			if names.enabled {
				ra.Role.Name = roleNames[rid]
				ra.User.Name, ra.User.Domain = names.user(r, a.UserID), defaultDomainRef()
				ra.Scope.Project.Name, ra.Scope.Project.Domain = names.project(r, a.ProjectID), defaultDomainRef()
			}
			out.RoleAssignments = append(out.RoleAssignments, ra)
		}
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

func roleID(names map[string]string, name string) string {
	for id, n := range names {
		if n == name {
			return id
		}
	}
	return ""
}

func defaultDomainRef() *v3.DomainRef {
	return &v3.DomainRef{ID: model.DefaultDomainID, Name: model.DefaultDomainName}
}

// nameCache looks up user and project names once per request.
type nameCache struct {
	svc      *identity.Service
	enabled  bool
	users    map[string]string
	projects map[string]string
}

func newNameCache(svc *identity.Service, enabled bool) *nameCache {
	return &nameCache{svc: svc, enabled: enabled, users: map[string]string{}, projects: map[string]string{}}
}

func (c *nameCache) user(r *http.Request, id string) string {
	if n, ok := c.users[id]; ok {
		return n
	}
	if u, err := c.svc.GetUser(r.Context(), id); err == nil {
		c.users[id] = u.Name
	}
	return c.users[id]
}

func (c *nameCache) project(r *http.Request, id string) string {
	if n, ok := c.projects[id]; ok {
		return n
	}
	if p, err := c.svc.ProjectByID(r.Context(), id); err == nil {
		c.projects[id] = p.Name
	}
	return c.projects[id]
}

// appCred renders an application credential; secret is shown only on
// creation.
func (s *server) appCred(r *http.Request, ac *model.ApplicationCredential, roleNames map[string]string, secret string) v3.ApplicationCredential {
	out := v3.ApplicationCredential{
		ID:           ac.UUID,
		Name:         ac.Name,
		UserID:       ac.UserID,
		ProjectID:    ac.ProjectID,
		Roles:        make([]v3.AppCredRole, 0, len(ac.RoleIDs)),
		Unrestricted: ac.Unrestricted,
		AccessRules:  []any{},
		Secret:       secret,
		Links:        v3.SelfLink{Self: s.baseURL(r) + "/v3/users/" + ac.UserID + "/application_credentials/" + ac.UUID},
	}
	if ac.Description != "" {
		d := ac.Description
		out.Description = &d
	}
	if ac.ExpiresAt != nil {
		out.ExpiresAt = &v3.TimeNoZ{Time: *ac.ExpiresAt}
	}
	for _, id := range ac.RoleIDs {
		out.Roles = append(out.Roles, v3.AppCredRole{ID: id, Name: roleNames[id]})
	}
	return out
}

func (s *server) listAppCreds(w http.ResponseWriter, r *http.Request) error {
	uid := r.PathValue("id")
	if err := requireSelfOrAdmin(r, uid, "identity:list_application_credentials"); err != nil {
		return err
	}
	acs, err := s.svc.ListApplicationCredentials(r.Context(), uid, r.URL.Query().Get("name"))
	if err != nil {
		return err
	}
	roleNames, err := s.svc.RoleNames(r.Context())
	if err != nil {
		return err
	}
	out := v3.ApplicationCredentialsResponse{ApplicationCredentials: []v3.ApplicationCredential{}, Links: s.collectionLinks(r)}
	for _, ac := range acs {
		out.ApplicationCredentials = append(out.ApplicationCredentials, s.appCred(r, ac, roleNames, ""))
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) getAppCred(w http.ResponseWriter, r *http.Request) error {
	uid := r.PathValue("id")
	if err := requireSelfOrAdmin(r, uid, "identity:get_application_credential"); err != nil {
		return err
	}
	ac, err := s.svc.GetApplicationCredential(r.Context(), uid, r.PathValue("ac"))
	if err != nil {
		return err
	}
	roleNames, err := s.svc.RoleNames(r.Context())
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, v3.ApplicationCredentialResponse{ApplicationCredential: s.appCred(r, ac, roleNames, "")})
	return nil
}

func (s *server) createAppCred(w http.ResponseWriter, r *http.Request) error {
	uid := r.PathValue("id")
	if c := caller(r); c.UserID != uid {
		return model.Forbiddenf("You are not authorized to perform the requested action: identity:create_application_credential.")
	}
	var req v3.ApplicationCredentialCreateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	in := req.ApplicationCredential
	if len(in.AccessRules) > 0 {
		return model.Invalidf("Access rules are not supported.")
	}
	create := identity.AppCredCreate{
		Name:         in.Name,
		Description:  in.Description,
		Secret:       in.Secret,
		Unrestricted: in.Unrestricted,
	}
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.Time.UTC().Truncate(time.Microsecond)
		create.ExpiresAt = &t
	}
	for _, role := range in.Roles {
		create.Roles = append(create.Roles, identity.RoleRef{ID: role.ID, Name: role.Name})
	}
	ac, secret, err := s.svc.CreateApplicationCredential(r.Context(), caller(r), uid, create)
	if err != nil {
		return err
	}
	roleNames, err := s.svc.RoleNames(r.Context())
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusCreated, v3.ApplicationCredentialResponse{ApplicationCredential: s.appCred(r, ac, roleNames, secret)})
	return nil
}

func (s *server) deleteAppCred(w http.ResponseWriter, r *http.Request) error {
	uid := r.PathValue("id")
	if err := requireSelfOrAdmin(r, uid, "identity:delete_application_credential"); err != nil {
		return err
	}
	if err := s.svc.DeleteApplicationCredential(r.Context(), caller(r), uid, r.PathValue("ac")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
