package policy

import (
	"slices"

	"github.com/slipway/slipway/internal/model"
)

// Subject is the caller a decision is about. Roles include implied roles
// (admin implies member, member implies reader).
type Subject struct {
	UserID    string
	ProjectID string
	Roles     []string
}

// Target is the object an action touches: its owning project and user. For
// actions without an object (list, create) the target is the caller's own.
type Target struct {
	ProjectID string
	UserID    string
}

// IsAdmin reports whether the subject holds the admin role.
func (s Subject) IsAdmin() bool { return s.has(model.RoleAdmin) }

func (s Subject) has(role string) bool { return slices.Contains(s.Roles, role) }

func (s Subject) projectRole(role string, t Target) bool {
	return s.has(role) && s.ProjectID != "" && s.ProjectID == t.ProjectID
}

type rule func(s Subject, t Target) bool

func adminOr(r rule) rule {
	return func(s Subject, t Target) bool { return s.IsAdmin() || r(s, t) }
}

func member(s Subject, t Target) bool { return s.projectRole(model.RoleMember, t) }
func reader(s Subject, t Target) bool { return s.projectRole(model.RoleReader, t) }
func admin(s Subject, _ Target) bool  { return s.IsAdmin() }

// rules is Magnum's default policy, by action name.
var rules = map[string]rule{
	"cluster:create":                   adminOr(member),
	"cluster:delete":                   adminOr(member),
	"cluster:update":                   adminOr(member),
	"cluster:update_health_status":     adminOr(member),
	"cluster:resize":                   adminOr(member),
	"cluster:upgrade":                  adminOr(member),
	"cluster:get":                      adminOr(reader),
	"cluster:get_all":                  adminOr(reader),
	"cluster:detail":                   adminOr(reader),
	"clustertemplate:create":           adminOr(member),
	"clustertemplate:update":           adminOr(member),
	"clustertemplate:delete":           adminOr(member),
	"clustertemplate:get":              adminOr(reader),
	"clustertemplate:get_all":          adminOr(reader),
	"clustertemplate:detail":           adminOr(reader),
	"clustertemplate:publish":          admin,
	"nodegroup:get":                    adminOr(reader),
	"nodegroup:get_all":                adminOr(reader),
	"nodegroup:create":                 adminOr(member),
	"nodegroup:update":                 adminOr(member),
	"nodegroup:delete":                 adminOr(member),
	"certificate:get":                  adminOr(func(s Subject, t Target) bool { return reader(s, t) && s.UserID == t.UserID }),
	"certificate:create":               adminOr(func(s Subject, t Target) bool { return member(s, t) && s.UserID == t.UserID }),
	"certificate:rotate_ca":            adminOr(member),
	"credential:rotate":                member,
	"quota:create":                     admin,
	"quota:update":                     admin,
	"quota:delete":                     admin,
	"quota:get_all":                    admin,
	"quota:get":                        adminOr(reader),
	"stats:get_all":                    adminOr(reader),
	"magnum-service:get_all":           admin,
	"cluster:get_all_all_projects":     admin,
	"clustertemplate:get_all_projects": admin,
}

// Allowed reports whether s may perform action on t. Unknown actions are
// denied.
func Allowed(action string, s Subject, t Target) bool {
	r, ok := rules[action]
	return ok && r(s, t)
}

// Authorize returns a 403-class error naming the action unless s may
// perform it on t.
func Authorize(action string, s Subject, t Target) error {
	if Allowed(action, s, t) {
		return nil
	}
	return model.Forbiddenf("Policy doesn't allow %s to be performed.", action)
}

// Own returns the target of an action without an object: the subject's own
// project and user.
func (s Subject) Own() Target { return Target{ProjectID: s.ProjectID, UserID: s.UserID} }
