package model

import "time"

// DefaultDomainID is the one identity domain Slipway's built-in identity
// service has.
const DefaultDomainID = "default"

// DefaultDomainName is the display name of DefaultDomainID.
const DefaultDomainName = "Default"

// The built-in roles. Admin implies member, and member implies reader.
const (
	RoleAdmin  = "admin"
	RoleMember = "member"
	RoleReader = "reader"
)

// Project is a tenant: the unit of ownership and isolation.
type Project struct {
	Meta        `json:"-"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Enabled     bool   `json:"enabled"`
}

// Kind implements Object.
func (*Project) Kind() Kind { return KindProject }

// Index implements Object.
func (p *Project) Index() Index { return Index{Name: p.Name} }

// User is a person or service that authenticates.
type User struct {
	Meta             `json:"-"`
	Name             string `json:"name"`
	PasswordHash     string `json:"password_hash,omitempty"`
	DefaultProjectID string `json:"default_project_id,omitempty"`
	Email            string `json:"email,omitempty"`
	Description      string `json:"description,omitempty"`
	Enabled          bool   `json:"enabled"`
}

// Kind implements Object.
func (*User) Kind() Kind { return KindUser }

// Index implements Object.
func (u *User) Index() Index { return Index{Name: u.Name} }

// Role is a named set of permissions.
type Role struct {
	Meta `json:"-"`
	Name string `json:"name"`
}

// Kind implements Object.
func (*Role) Kind() Kind { return KindRole }

// Index implements Object.
func (r *Role) Index() Index { return Index{Name: r.Name} }

// RoleAssignment grants a role to a user on a project.
type RoleAssignment struct {
	Meta      `json:"-"`
	UserID    string `json:"user_id"`
	ProjectID string `json:"project_id"`
	RoleID    string `json:"role_id"`
}

// Kind implements Object.
func (*RoleAssignment) Kind() Kind { return KindRoleAssignment }

// Index implements Object.
func (a *RoleAssignment) Index() Index {
	return Index{ProjectID: a.ProjectID, Parent: a.UserID, Ref: a.RoleID}
}

// ApplicationCredential lets a program authenticate as a user, on one
// project, with a subset of the user's roles.
type ApplicationCredential struct {
	Meta         `json:"-"`
	Name         string     `json:"name"`
	Description  string     `json:"description,omitempty"`
	UserID       string     `json:"user_id"`
	ProjectID    string     `json:"project_id"`
	SecretHash   string     `json:"secret_hash"`
	RoleIDs      []string   `json:"role_ids"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	Unrestricted bool       `json:"unrestricted"`
}

// Kind implements Object.
func (*ApplicationCredential) Kind() Kind { return KindApplicationCredential }

// Index implements Object.
func (c *ApplicationCredential) Index() Index {
	return Index{Name: c.Name, ProjectID: c.ProjectID, Parent: c.UserID}
}

// Token is an issued bearer token. The store keeps only a hash of the token
// itself, as the object's UUID.
type Token struct {
	Meta      `json:"-"`
	UserID    string    `json:"user_id"`
	ProjectID string    `json:"project_id"`
	Roles     []string  `json:"roles"`
	Methods   []string  `json:"methods"`
	AppCredID string    `json:"application_credential_id,omitempty"`
	AuditID   string    `json:"audit_id"`
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Kind implements Object.
func (*Token) Kind() Kind { return KindToken }

// Index implements Object.
func (t *Token) Index() Index {
	return Index{ProjectID: t.ProjectID, Parent: t.UserID, Ref: t.AppCredID}
}
