package v3

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// VersionID is the Identity API version Slipway announces.
const VersionID = "v3.14"

// VersionUpdated is the date of VersionID, as Keystone shows it.
const VersionUpdated = "2020-04-07T00:00:00Z"

// MediaType is the media type of the Identity v3 API.
const MediaType = "application/vnd.openstack.identity-v3+json"

// Headers of the token API.
const (
	HeaderAuthToken    = "X-Auth-Token"
	HeaderSubjectToken = "X-Subject-Token"
)

// Link is a hypermedia link of a version document.
type Link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

// MediaTypeDesc names a media type a version accepts.
type MediaTypeDesc struct {
	Base string `json:"base"`
	Type string `json:"type"`
}

// Version describes one API version.
type Version struct {
	ID         string          `json:"id"`
	Status     string          `json:"status"`
	Updated    string          `json:"updated"`
	Links      []Link          `json:"links"`
	MediaTypes []MediaTypeDesc `json:"media-types"`
}

// VersionsResponse is the body of GET / (status 300).
type VersionsResponse struct {
	Versions struct {
		Values []Version `json:"values"`
	} `json:"versions"`
}

// VersionResponse is the body of GET /v3.
type VersionResponse struct {
	Version Version `json:"version"`
}

// ErrorResponse is Keystone's error body.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody describes an error.
type ErrorBody struct {
	Code    int    `json:"code"`
	Title   string `json:"title"`
	Message string `json:"message"`
}

// CollectionLinks are the pagination links of a list.
type CollectionLinks struct {
	Self     string  `json:"self"`
	Previous *string `json:"previous"`
	Next     *string `json:"next"`
}

// SelfLink is the links object of a single resource.
type SelfLink struct {
	Self string `json:"self"`
}

// DomainRef names a domain by id or name.
type DomainRef struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// AuthRequest is the body of POST /v3/auth/tokens.
type AuthRequest struct {
	Auth Auth `json:"auth"`
}

// Auth holds the identity to authenticate and the scope to request.
type Auth struct {
	Identity Identity `json:"identity"`
	Scope    *Scope   `json:"scope,omitempty"`
}

// Identity lists the methods to authenticate with and their payloads.
type Identity struct {
	Methods               []string               `json:"methods"`
	Password              *PasswordMethod        `json:"password,omitempty"`
	Token                 *TokenMethod           `json:"token,omitempty"`
	ApplicationCredential *ApplicationCredMethod `json:"application_credential,omitempty"`
}

// PasswordMethod is the payload of the password method.
type PasswordMethod struct {
	User AuthUser `json:"user"`
}

// AuthUser names a user by id, or by name and domain, with a password.
type AuthUser struct {
	ID       string     `json:"id,omitempty"`
	Name     string     `json:"name,omitempty"`
	Domain   *DomainRef `json:"domain,omitempty"`
	Password string     `json:"password,omitempty"`
}

// TokenMethod is the payload of the token method.
type TokenMethod struct {
	ID string `json:"id"`
}

// ApplicationCredMethod is the payload of the application_credential
// method: an id, or a name and its user, and the secret.
type ApplicationCredMethod struct {
	ID     string    `json:"id,omitempty"`
	Name   string    `json:"name,omitempty"`
	User   *AuthUser `json:"user,omitempty"`
	Secret string    `json:"secret"`
}

// Scope is the requested scope of a token: a project, a domain, the
// system or a trust, or explicitly none ("scope": "unscoped").
type Scope struct {
	Project  *ScopeProject   `json:"project,omitempty"`
	Domain   *DomainRef      `json:"domain,omitempty"`
	System   json.RawMessage `json:"system,omitempty"`
	Trust    json.RawMessage `json:"OS-TRUST:trust,omitempty"`
	Unscoped bool            `json:"-"`
}

// ScopeProject names a project by id, or by name and domain.
type ScopeProject struct {
	ID     string     `json:"id,omitempty"`
	Name   string     `json:"name,omitempty"`
	Domain *DomainRef `json:"domain,omitempty"`
}

// UnmarshalJSON accepts an object or the string "unscoped".
func (s *Scope) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		if str != "unscoped" {
			return fmt.Errorf("unknown scope %q", str)
		}
		*s = Scope{Unscoped: true}
		return nil
	}
	type plain Scope
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = Scope(p)
	return nil
}

// MarshalJSON writes "unscoped" for an explicitly unscoped request.
func (s Scope) MarshalJSON() ([]byte, error) {
	if s.Unscoped {
		return []byte(`"unscoped"`), nil
	}
	type plain Scope
	return json.Marshal(plain(s))
}

// TokenResponse is the body of POST and GET /v3/auth/tokens.
type TokenResponse struct {
	Token Token `json:"token"`
}

// Token is what a token grants.
type Token struct {
	Methods   []string      `json:"methods"`
	User      TokenUser     `json:"user"`
	Project   *TokenProject `json:"project,omitempty"`
	IsDomain  bool          `json:"is_domain"`
	Roles     []RoleRef     `json:"roles,omitempty"`
	Catalog   *[]Service    `json:"catalog,omitempty"`
	ExpiresAt Time          `json:"expires_at"`
	IssuedAt  Time          `json:"issued_at"`
	AuditIDs  []string      `json:"audit_ids"`
	// ApplicationCredential is set on tokens issued for one.
	ApplicationCredential *TokenAppCred `json:"application_credential,omitempty"`
}

// TokenUser is the user a token belongs to.
type TokenUser struct {
	ID                string    `json:"id"`
	Name              string    `json:"name"`
	Domain            DomainRef `json:"domain"`
	PasswordExpiresAt *Time     `json:"password_expires_at"`
}

// TokenProject is the project a token is scoped to.
type TokenProject struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Domain DomainRef `json:"domain"`
}

// RoleRef names a role by id and name.
type RoleRef struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// TokenAppCred is the application credential a token was issued for.
type TokenAppCred struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Restricted bool   `json:"restricted"`
}

// Service is one entry of a catalog.
type Service struct {
	ID        string     `json:"id"`
	Type      string     `json:"type"`
	Name      string     `json:"name"`
	Endpoints []Endpoint `json:"endpoints"`
}

// Endpoint is one URL of a catalog service.
type Endpoint struct {
	ID        string `json:"id"`
	Interface string `json:"interface"`
	Region    string `json:"region"`
	RegionID  string `json:"region_id"`
	URL       string `json:"url"`
}

// CatalogResponse is the body of GET /v3/auth/catalog.
type CatalogResponse struct {
	Catalog []Service       `json:"catalog"`
	Links   CollectionLinks `json:"links"`
}

// Project is a project resource.
type Project struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	DomainID    string         `json:"domain_id"`
	ParentID    string         `json:"parent_id"`
	Enabled     bool           `json:"enabled"`
	IsDomain    bool           `json:"is_domain"`
	Tags        []string       `json:"tags"`
	Options     map[string]any `json:"options"`
	Links       SelfLink       `json:"links"`
}

// ProjectResponse wraps one project.
type ProjectResponse struct {
	Project Project `json:"project"`
}

// ProjectsResponse is a list of projects.
type ProjectsResponse struct {
	Projects []Project       `json:"projects"`
	Links    CollectionLinks `json:"links"`
}

// ProjectCreateRequest is the body of POST /v3/projects.
type ProjectCreateRequest struct {
	Project ProjectCreate `json:"project"`
}

// ProjectCreate describes a new project.
type ProjectCreate struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	DomainID    string         `json:"domain_id,omitempty"`
	ParentID    string         `json:"parent_id,omitempty"`
	Enabled     *bool          `json:"enabled,omitempty"`
	IsDomain    bool           `json:"is_domain,omitempty"`
	Tags        []string       `json:"tags,omitempty"`
	Options     map[string]any `json:"options,omitempty"`
}

// ProjectUpdateRequest is the body of PATCH /v3/projects/{id}.
type ProjectUpdateRequest struct {
	Project ProjectUpdate `json:"project"`
}

// ProjectUpdate changes the set fields of a project.
type ProjectUpdate struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	Enabled     *bool   `json:"enabled,omitempty"`
}

// User is a user resource. It never shows a password.
type User struct {
	ID                string         `json:"id"`
	Name              string         `json:"name"`
	DomainID          string         `json:"domain_id"`
	DefaultProjectID  string         `json:"default_project_id,omitempty"`
	Description       string         `json:"description,omitempty"`
	Email             string         `json:"email,omitempty"`
	Enabled           bool           `json:"enabled"`
	PasswordExpiresAt *TimeNoZ       `json:"password_expires_at"`
	Options           map[string]any `json:"options"`
	Links             SelfLink       `json:"links"`
}

// UserResponse wraps one user.
type UserResponse struct {
	User User `json:"user"`
}

// UsersResponse is a list of users.
type UsersResponse struct {
	Users []User          `json:"users"`
	Links CollectionLinks `json:"links"`
}

// UserCreateRequest is the body of POST /v3/users.
type UserCreateRequest struct {
	User UserCreate `json:"user"`
}

// UserCreate describes a new user.
type UserCreate struct {
	Name             string         `json:"name"`
	Password         string         `json:"password,omitempty"`
	DomainID         string         `json:"domain_id,omitempty"`
	DefaultProjectID string         `json:"default_project_id,omitempty"`
	Description      string         `json:"description,omitempty"`
	Email            string         `json:"email,omitempty"`
	Enabled          *bool          `json:"enabled,omitempty"`
	Options          map[string]any `json:"options,omitempty"`
}

// UserUpdateRequest is the body of PATCH /v3/users/{id}.
type UserUpdateRequest struct {
	User UserUpdate `json:"user"`
}

// UserUpdate changes the set fields of a user.
type UserUpdate struct {
	Name             *string `json:"name,omitempty"`
	Password         *string `json:"password,omitempty"`
	DefaultProjectID *string `json:"default_project_id,omitempty"`
	Description      *string `json:"description,omitempty"`
	Email            *string `json:"email,omitempty"`
	Enabled          *bool   `json:"enabled,omitempty"`
}

// PasswordChangeRequest is the body of POST /v3/users/{id}/password.
type PasswordChangeRequest struct {
	User PasswordChange `json:"user"`
}

// PasswordChange carries the old and new passwords.
type PasswordChange struct {
	Password         string `json:"password"`
	OriginalPassword string `json:"original_password"`
}

// Role is a role resource.
type Role struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	DomainID    *string        `json:"domain_id"`
	Description *string        `json:"description"`
	Options     map[string]any `json:"options"`
	Links       SelfLink       `json:"links"`
}

// RoleResponse wraps one role.
type RoleResponse struct {
	Role Role `json:"role"`
}

// RolesResponse is a list of roles.
type RolesResponse struct {
	Roles []Role          `json:"roles"`
	Links CollectionLinks `json:"links"`
}

// RoleCreateRequest is the body of POST /v3/roles.
type RoleCreateRequest struct {
	Role RoleCreate `json:"role"`
}

// RoleCreate describes a new role.
type RoleCreate struct {
	Name     string `json:"name"`
	DomainID string `json:"domain_id,omitempty"`
}

// RoleUpdateRequest is the body of PATCH /v3/roles/{id}.
type RoleUpdateRequest struct {
	Role RoleUpdate `json:"role"`
}

// RoleUpdate changes the set fields of a role.
type RoleUpdate struct {
	Name *string `json:"name,omitempty"`
}

// Domain is a domain resource.
type Domain struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Enabled     bool           `json:"enabled"`
	Tags        []string       `json:"tags"`
	Options     map[string]any `json:"options"`
	Links       SelfLink       `json:"links"`
}

// DomainResponse wraps one domain.
type DomainResponse struct {
	Domain Domain `json:"domain"`
}

// DomainsResponse is a list of domains.
type DomainsResponse struct {
	Domains []Domain        `json:"domains"`
	Links   CollectionLinks `json:"links"`
}

// RoleAssignment is one entry of GET /v3/role_assignments.
type RoleAssignment struct {
	Role  RoleRef             `json:"role"`
	User  AssignmentActor     `json:"user"`
	Scope RoleAssignmentScope `json:"scope"`
	Links RoleAssignmentLinks `json:"links"`
}

// AssignmentActor is the user of an assignment; the name and domain show
// with include_names.
type AssignmentActor struct {
	ID     string     `json:"id"`
	Name   string     `json:"name,omitempty"`
	Domain *DomainRef `json:"domain,omitempty"`
}

// RoleAssignmentScope is the target of an assignment.
type RoleAssignmentScope struct {
	Project AssignmentActor `json:"project"`
}

// RoleAssignmentLinks links an assignment to its resource.
type RoleAssignmentLinks struct {
	Assignment string `json:"assignment"`
}

// RoleAssignmentsResponse is a list of role assignments.
type RoleAssignmentsResponse struct {
	RoleAssignments []RoleAssignment `json:"role_assignments"`
	Links           CollectionLinks  `json:"links"`
}

// ApplicationCredential is an application credential resource. Secret is
// set only in the response to its creation.
type ApplicationCredential struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Description  *string       `json:"description"`
	UserID       string        `json:"user_id"`
	ProjectID    string        `json:"project_id"`
	Roles        []AppCredRole `json:"roles"`
	Unrestricted bool          `json:"unrestricted"`
	ExpiresAt    *TimeNoZ      `json:"expires_at"`
	AccessRules  []any         `json:"access_rules"`
	Secret       string        `json:"secret,omitempty"`
	Links        SelfLink      `json:"links"`
}

// AppCredRole is a role of an application credential.
type AppCredRole struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	DomainID *string `json:"domain_id"`
}

// ApplicationCredentialResponse wraps one application credential.
type ApplicationCredentialResponse struct {
	ApplicationCredential ApplicationCredential `json:"application_credential"`
}

// ApplicationCredentialsResponse is a list of application credentials.
type ApplicationCredentialsResponse struct {
	ApplicationCredentials []ApplicationCredential `json:"application_credentials"`
	Links                  CollectionLinks         `json:"links"`
}

// ApplicationCredentialCreateRequest is the body of
// POST /v3/users/{id}/application_credentials.
type ApplicationCredentialCreateRequest struct {
	ApplicationCredential ApplicationCredentialCreate `json:"application_credential"`
}

// ApplicationCredentialCreate describes a new application credential.
type ApplicationCredentialCreate struct {
	Name         string            `json:"name"`
	Description  string            `json:"description,omitempty"`
	Secret       string            `json:"secret,omitempty"`
	ExpiresAt    *Time             `json:"expires_at,omitempty"`
	Roles        []RoleRef         `json:"roles,omitempty"`
	Unrestricted bool              `json:"unrestricted,omitempty"`
	AccessRules  []json.RawMessage `json:"access_rules,omitempty"`
}
