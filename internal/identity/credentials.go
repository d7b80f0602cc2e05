package identity

import (
	"slices"
	"time"

	"github.com/slipway/slipway/internal/model"
)

// Credentials is what a validated token says about its bearer.
type Credentials struct {
	UserID      string
	UserName    string
	ProjectID   string
	ProjectName string
	DomainID    string
	// Roles are role names on ProjectID, implied roles included: admin
	// implies member, and member implies reader.
	Roles     []string
	ExpiresAt time.Time
	// AppCredID is the application credential the token was issued for,
	// if any.
	AppCredID string
}

// HasRole reports whether the bearer holds the named role on its project,
// directly or by implication.
func (c *Credentials) HasRole(name string) bool {
	return c != nil && slices.Contains(c.Roles, name)
}

// IsAdmin reports whether the bearer holds the admin role.
func (c *Credentials) IsAdmin() bool { return c.HasRole(model.RoleAdmin) }

// Scoped reports whether the token is scoped to a project.
func (c *Credentials) Scoped() bool { return c != nil && c.ProjectID != "" }

// clone returns a copy that shares nothing mutable with c.
func (c *Credentials) clone() *Credentials {
	out := *c
	out.Roles = slices.Clone(c.Roles)
	return &out
}

// ImpliedRole returns the role that the named role implies, or "" if none:
// admin implies member, and member implies reader.
func ImpliedRole(name string) string {
	switch name {
	case model.RoleAdmin:
		return model.RoleMember
	case model.RoleMember:
		return model.RoleReader
	}
	return ""
}

// ExpandRoles returns names with every implied role added and duplicates
// removed; each name is followed by the roles it implies.
func ExpandRoles(names []string) []string {
	out := make([]string, 0, len(names)+2)
	for _, n := range names {
		for r := n; r != ""; r = ImpliedRole(r) {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}
