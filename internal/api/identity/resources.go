package identity

import (
	"net/http"
	"strings"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/identity"
	"github.com/slipway/slipway/internal/model"
	v3 "github.com/slipway/slipway/pkg/apis/identity/v3"
)

// project renders a project.
func (s *server) project(r *http.Request, p *model.Project) v3.Project {
	return v3.Project{
		ID:          p.UUID,
		Name:        p.Name,
		Description: p.Description,
		DomainID:    model.DefaultDomainID,
		ParentID:    model.DefaultDomainID,
		Enabled:     p.Enabled,
		Tags:        []string{},
		Options:     map[string]any{},
		Links:       v3.SelfLink{Self: s.baseURL(r) + "/v3/projects/" + p.UUID},
	}
}

// user renders a user; the password hash never leaves the service.
func (s *server) user(r *http.Request, u *model.User) v3.User {
	return v3.User{
		ID:               u.UUID,
		Name:             u.Name,
		DomainID:         model.DefaultDomainID,
		DefaultProjectID: u.DefaultProjectID,
		Description:      u.Description,
		Email:            u.Email,
		Enabled:          u.Enabled,
		Options:          map[string]any{},
		Links:            v3.SelfLink{Self: s.baseURL(r) + "/v3/users/" + u.UUID},
	}
}

// role renders a role.
func (s *server) role(r *http.Request, role *model.Role) v3.Role {
	return v3.Role{
		ID:      role.UUID,
		Name:    role.Name,
		Options: map[string]any{},
		Links:   v3.SelfLink{Self: s.baseURL(r) + "/v3/roles/" + role.UUID},
	}
}

// domain renders the default domain.
func (s *server) domain(r *http.Request) v3.Domain {
	return v3.Domain{
		ID:          model.DefaultDomainID,
		Name:        model.DefaultDomainName,
		Description: "The default domain",
		Enabled:     true,
		Tags:        []string{},
		Options:     map[string]any{},
		Links:       v3.SelfLink{Self: s.baseURL(r) + "/v3/domains/" + model.DefaultDomainID},
	}
}

// checkDomain refuses a domain other than the default one.
func checkDomain(id string) error {
	if !isDefaultDomain(id) {
		return model.NotFoundf("Could not find domain: %s.", id)
	}
	return nil
}

// domainFilter reports whether a list's domain_id filter admits the
// default domain.
func domainFilter(r *http.Request) bool {
	return isDefaultDomain(r.URL.Query().Get("domain_id"))
}

func (s *server) listProjects(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r, "identity:list_projects"); err != nil {
		return err
	}
	out := v3.ProjectsResponse{Projects: []v3.Project{}, Links: s.collectionLinks(r)}
	if domainFilter(r) {
		ps, err := s.svc.ListProjects(r.Context(), r.URL.Query().Get("name"))
		if err != nil {
			return err
		}
		for _, p := range ps {
			out.Projects = append(out.Projects, s.project(r, p))
		}
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) getProject(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if c := caller(r); !c.IsAdmin() && c.ProjectID != id {
		return model.Forbiddenf("You are not authorized to perform the requested action: identity:get_project.")
	}
	p, err := s.svc.ProjectByID(r.Context(), id)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, v3.ProjectResponse{Project: s.project(r, p)})
	return nil
}

func (s *server) createProject(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r, "identity:create_project"); err != nil {
		return err
	}
	var req v3.ProjectCreateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	in := req.Project
	if err := checkDomain(in.DomainID); err != nil {
		return err
	}
	if in.IsDomain {
		return model.Invalidf("Slipway has one domain; projects acting as domains are not supported.")
	}
	if !isDefaultDomain(in.ParentID) {
		return model.Invalidf("Nested projects are not supported; parent_id must be the default domain.")
	}
	p := &model.Project{Name: in.Name, Description: in.Description, Enabled: in.Enabled == nil || *in.Enabled}
	if err := s.svc.CreateProject(r.Context(), p); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusCreated, v3.ProjectResponse{Project: s.project(r, p)})
	return nil
}

func (s *server) updateProject(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r, "identity:update_project"); err != nil {
		return err
	}
	var req v3.ProjectUpdateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p, err := s.svc.UpdateProject(r.Context(), r.PathValue("id"), identity.ProjectUpdate{
		Name: req.Project.Name, Description: req.Project.Description, Enabled: req.Project.Enabled,
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, v3.ProjectResponse{Project: s.project(r, p)})
	return nil
}

func (s *server) deleteProject(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r, "identity:delete_project"); err != nil {
		return err
	}
	if err := s.svc.DeleteProject(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) listUsers(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r, "identity:list_users"); err != nil {
		return err
	}
	out := v3.UsersResponse{Users: []v3.User{}, Links: s.collectionLinks(r)}
	if domainFilter(r) {
		us, err := s.svc.ListUsers(r.Context(), r.URL.Query().Get("name"))
		if err != nil {
			return err
		}
		for _, u := range us {
			out.Users = append(out.Users, s.user(r, u))
		}
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) getUser(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := requireSelfOrAdmin(r, id, "identity:get_user"); err != nil {
		return err
	}
	u, err := s.svc.GetUser(r.Context(), id)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, v3.UserResponse{User: s.user(r, u)})
	return nil
}

func (s *server) createUser(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r, "identity:create_user"); err != nil {
		return err
	}
	var req v3.UserCreateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	in := req.User
	if err := checkDomain(in.DomainID); err != nil {
		return err
	}
	u := &model.User{
		Name:             in.Name,
		DefaultProjectID: in.DefaultProjectID,
		Email:            in.Email,
		Description:      in.Description,
		Enabled:          in.Enabled == nil || *in.Enabled,
	}
	if err := s.svc.CreateUser(r.Context(), u, in.Password); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusCreated, v3.UserResponse{User: s.user(r, u)})
	return nil
}

func (s *server) updateUser(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r, "identity:update_user"); err != nil {
		return err
	}
	var req v3.UserUpdateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	in := req.User
	u, err := s.svc.UpdateUser(r.Context(), r.PathValue("id"), identity.UserUpdate{
		Name: in.Name, Password: in.Password, DefaultProjectID: in.DefaultProjectID,
		Email: in.Email, Description: in.Description, Enabled: in.Enabled,
	})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, v3.UserResponse{User: s.user(r, u)})
	return nil
}

func (s *server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r, "identity:delete_user"); err != nil {
		return err
	}
	if err := s.svc.DeleteUser(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) userProjects(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := requireSelfOrAdmin(r, id, "identity:list_user_projects"); err != nil {
		return err
	}
	if _, err := s.svc.GetUser(r.Context(), id); err != nil {
		return err
	}
	ps, err := s.svc.UserProjects(r.Context(), id)
	if err != nil {
		return err
	}
	out := v3.ProjectsResponse{Projects: []v3.Project{}, Links: s.collectionLinks(r)}
	for _, p := range ps {
		out.Projects = append(out.Projects, s.project(r, p))
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) changePassword(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := requireSelfOrAdmin(r, id, "identity:change_password"); err != nil {
		return err
	}
	var req v3.PasswordChangeRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.svc.ChangePassword(r.Context(), id, req.User.OriginalPassword, req.User.Password); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) listRoles(w http.ResponseWriter, r *http.Request) error {
	out := v3.RolesResponse{Roles: []v3.Role{}, Links: s.collectionLinks(r)}
	// Slipway's roles are all global; a domain filter finds none.
	if r.URL.Query().Get("domain_id") == "" {
		rs, err := s.svc.ListRoles(r.Context(), r.URL.Query().Get("name"))
		if err != nil {
			return err
		}
		for _, role := range rs {
			out.Roles = append(out.Roles, s.role(r, role))
		}
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) getRole(w http.ResponseWriter, r *http.Request) error {
	role, err := s.svc.GetRole(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, v3.RoleResponse{Role: s.role(r, role)})
	return nil
}

func (s *server) createRole(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r, "identity:create_role"); err != nil {
		return err
	}
	var req v3.RoleCreateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Role.DomainID != "" {
		return model.Invalidf("Domain-specific roles are not supported.")
	}
	role := &model.Role{Name: req.Role.Name}
	if err := s.svc.CreateRole(r.Context(), role); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusCreated, v3.RoleResponse{Role: s.role(r, role)})
	return nil
}

func (s *server) updateRole(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r, "identity:update_role"); err != nil {
		return err
	}
	var req v3.RoleUpdateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	role, err := s.svc.UpdateRole(r.Context(), r.PathValue("id"), req.Role.Name)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, v3.RoleResponse{Role: s.role(r, role)})
	return nil
}

func (s *server) deleteRole(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r, "identity:delete_role"); err != nil {
		return err
	}
	if err := s.svc.DeleteRole(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) listDomains(w http.ResponseWriter, r *http.Request) error {
	out := v3.DomainsResponse{Domains: []v3.Domain{}, Links: s.collectionLinks(r)}
	if name := r.URL.Query().Get("name"); name == "" || strings.EqualFold(name, model.DefaultDomainName) {
		out.Domains = append(out.Domains, s.domain(r))
	}
	api.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) getDomain(w http.ResponseWriter, r *http.Request) error {
	if id := r.PathValue("id"); id != model.DefaultDomainID {
		return model.NotFoundf("Could not find domain: %s.", id)
	}
	api.WriteJSON(w, http.StatusOK, v3.DomainResponse{Domain: s.domain(r)})
	return nil
}
