package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// The authentication methods Authenticate supports.
const (
	MethodPassword = "password"
	MethodToken    = "token"
	MethodAppCred  = "application_credential"
)

// UserRef names a user by id, or by name within a domain. Only the default
// domain exists; an empty domain means it.
type UserRef struct {
	ID         string
	Name       string
	DomainID   string
	DomainName string
}

// PasswordAuth is the password method's payload.
type PasswordAuth struct {
	User     UserRef
	Password string
}

// AppCredAuth is the application_credential method's payload: the
// credential by id, or by name with its user.
type AppCredAuth struct {
	ID     string
	Name   string
	User   UserRef
	Secret string
}

// ProjectRef names a project by id, or by name within a domain.
type ProjectRef struct {
	ID         string
	Name       string
	DomainID   string
	DomainName string
}

// Scope is what a token is requested for. The zero Scope asks for the
// user's default project, if any; Unscoped asks for no project.
type Scope struct {
	Project  *ProjectRef
	Unscoped bool
	// Other names a scope that Slipway does not support (domain, system,
	// trust); a request with one fails.
	Other string
}

func (sc Scope) requested() bool { return sc.Project != nil || sc.Unscoped || sc.Other != "" }

// AuthRequest is a request for a token, as POST /v3/auth/tokens carries
// it. Every method listed must succeed, and all must identify the same
// user.
type AuthRequest struct {
	Methods  []string
	Password *PasswordAuth
	// Token is the token method's existing token.
	Token   string
	AppCred *AppCredAuth
	Scope   Scope
}

// authState collects what the methods of one request established.
type authState struct {
	user    *model.User
	appCred *model.ApplicationCredential
	prev    *TokenInfo
	methods []string
}

func (st *authState) setUser(u *model.User) error {
	if st.user != nil && st.user.UUID != u.UUID {
		return model.Unauthorizedf("The authentication methods identify different users.")
	}
	st.user = u
	return nil
}

// Authenticate checks the credentials in req and issues a token. It
// returns the token, which is shown only here, what it grants, and the
// stored token object. Bad credentials, disabled users or projects, and
// scopes the user holds no role on give errors wrapping
// model.ErrUnauthorized.
func (s *Service) Authenticate(ctx context.Context, req AuthRequest) (string, *Credentials, *model.Token, error) {
	if len(req.Methods) == 0 {
		return "", nil, nil, model.Invalidf("No authentication method given.")
	}
	st := &authState{}
	for _, m := range req.Methods {
		if slices.Contains(st.methods, m) {
			continue
		}
		var err error
		switch m {
		case MethodPassword:
			err = s.authPassword(ctx, st, req.Password)
		case MethodToken:
			err = s.authToken(ctx, st, req.Token)
		case MethodAppCred:
			err = s.authAppCred(ctx, st, req.AppCred)
		default:
			err = model.Unauthorizedf("The authentication method %q is not supported.", m)
		}
		if err != nil {
			return "", nil, nil, err
		}
		st.methods = append(st.methods, m)
	}
	if st.prev != nil {
		for _, m := range st.prev.Methods {
			if !slices.Contains(st.methods, m) {
				st.methods = append(st.methods, m)
			}
		}
	}
	project, err := s.scope(ctx, st, req.Scope)
	if err != nil {
		return "", nil, nil, err
	}
	token, rec, err := s.issue(ctx, st, project)
	if err != nil {
		return "", nil, nil, err
	}
	s.log.Debug("issued token", "user", rec.UserID, "project", rec.ProjectID, "methods", rec.Methods, "audit_id", rec.AuditID)
	return token, rec.info().Credentials.clone(), &rec.Token, nil
}

// isDefaultDomain reports whether a domain reference names the default
// domain; an empty reference does.
func isDefaultDomain(id, name string) bool {
	switch {
	case id != "":
		return strings.EqualFold(id, model.DefaultDomainID)
	case name != "":
		return strings.EqualFold(name, model.DefaultDomainName)
	}
	return true
}

// findUser resolves ref to a user, or returns an error wrapping
// model.ErrNotFound.
func (s *Service) findUser(ctx context.Context, ref UserRef) (*model.User, error) {
	switch {
	case ref.ID != "":
		return s.GetUser(ctx, ref.ID)
	case ref.Name != "":
		if !isDefaultDomain(ref.DomainID, ref.DomainName) {
			return nil, model.NotFoundf("Could not find domain %s%s.", ref.DomainID, ref.DomainName)
		}
		return s.userByName(ctx, ref.Name)
	}
	return nil, model.NotFoundf("No user given.")
}

// errBadPassword is the one answer to an unknown user or a wrong password,
// so that the two cannot be told apart.
func errBadPassword() error {
	return model.Unauthorizedf("The user name or password is wrong.")
}

func (s *Service) authPassword(ctx context.Context, st *authState, pw *PasswordAuth) error {
	if pw == nil {
		return model.Invalidf("The password method needs a user and a password.")
	}
	u, err := s.findUser(ctx, pw.User)
	if err != nil {
		if !errors.Is(err, model.ErrNotFound) {
			return fmt.Errorf("password authentication: %w", err)
		}
		s.checkSecret("", pw.Password)
		return errBadPassword()
	}
	if !s.checkSecret(u.PasswordHash, pw.Password) {
		s.log.Info("password authentication failed", "user", u.UUID)
		return errBadPassword()
	}
	if !u.Enabled {
		return model.Unauthorizedf("User %s is disabled.", u.Name)
	}
	return st.setUser(u)
}

func (s *Service) authToken(ctx context.Context, st *authState, token string) error {
	if token == "" {
		return model.Invalidf("The token method needs a token id.")
	}
	ti, err := s.Inspect(ctx, token)
	if err != nil {
		return err
	}
	if ti.AppCredID != "" {
		return model.Unauthorizedf("A token issued for an application credential cannot be rescoped.")
	}
	u, err := s.GetUser(ctx, ti.UserID)
	if err != nil {
		if errors.Is(err, model.ErrNotFound) {
			return model.Unauthorizedf("The token's user no longer exists.")
		}
		return fmt.Errorf("token authentication: %w", err)
	}
	if !u.Enabled {
		return model.Unauthorizedf("User %s is disabled.", u.Name)
	}
	st.prev = ti
	return st.setUser(u)
}

func (s *Service) authAppCred(ctx context.Context, st *authState, m *AppCredAuth) error {
	if m == nil {
		return model.Invalidf("The application_credential method needs an id or a name, and a secret.")
	}
	bad := model.Unauthorizedf("The application credential or its secret is wrong.")
	ac, err := s.findAppCred(ctx, m)
	if err != nil {
		if !errors.Is(err, model.ErrNotFound) {
			return fmt.Errorf("application credential authentication: %w", err)
		}
		s.checkSecret("", m.Secret)
		return bad
	}
	if !s.checkSecret(ac.SecretHash, m.Secret) {
		s.log.Info("application credential authentication failed", "application_credential", ac.UUID)
		return bad
	}
	if ac.ExpiresAt != nil && !s.now().Before(*ac.ExpiresAt) {
		return model.Unauthorizedf("Application credential %s has expired.", ac.Name)
	}
	u, err := s.GetUser(ctx, ac.UserID)
	if err != nil {
		if errors.Is(err, model.ErrNotFound) {
			return bad
		}
		return fmt.Errorf("application credential authentication: %w", err)
	}
	if !u.Enabled {
		return model.Unauthorizedf("User %s is disabled.", u.Name)
	}
	st.appCred = ac
	return st.setUser(u)
}

func (s *Service) findAppCred(ctx context.Context, m *AppCredAuth) (*model.ApplicationCredential, error) {
	if m.ID != "" {
		ac, err := store.Get[model.ApplicationCredential](ctx, s.st, m.ID)
		if err != nil {
			return nil, notFound(err, "Could not find application credential %s.", m.ID)
		}
		return ac, nil
	}
	if m.Name == "" {
		return nil, model.NotFoundf("No application credential given.")
	}
	u, err := s.findUser(ctx, m.User)
	if err != nil {
		return nil, err
	}
	acs, err := s.ListApplicationCredentials(ctx, u.UUID, m.Name)
	if err != nil {
		return nil, err
	}
	if len(acs) == 0 {
		return nil, model.NotFoundf("Could not find application credential %s.", m.Name)
	}
	return acs[0], nil
}

// scope decides the project a new token is for; nil means unscoped.
func (s *Service) scope(ctx context.Context, st *authState, sc Scope) (*model.Project, error) {
	if sc.Other != "" {
		return nil, model.Unauthorizedf("Tokens scoped to a %s are not supported; request a project scope.", sc.Other)
	}
	if st.appCred != nil {
		if sc.requested() {
			return nil, model.Unauthorizedf("Application credentials cannot request a scope.")
		}
		p, err := s.ProjectByID(ctx, st.appCred.ProjectID)
		if err != nil {
			if errors.Is(err, model.ErrNotFound) {
				return nil, model.Unauthorizedf("The application credential's project no longer exists.")
			}
			return nil, err
		}
		return p, nil
	}
	switch {
	case sc.Unscoped:
		return nil, nil
	case sc.Project != nil:
		p, err := s.findProject(ctx, *sc.Project)
		if err != nil {
			if errors.Is(err, model.ErrNotFound) {
				var ue *model.UserError
				if errors.As(err, &ue) {
					return nil, model.Unauthorizedf("%s", ue.Message)
				}
				return nil, model.Unauthorizedf("Could not find the project.")
			}
			return nil, err
		}
		return p, nil
	}
	// Like Keystone, a request without a scope, whatever its methods, gets
	// the user's default project.
	return s.defaultProject(ctx, st.user)
}

// findProject resolves a scope's project reference.
func (s *Service) findProject(ctx context.Context, ref ProjectRef) (*model.Project, error) {
	if ref.ID != "" {
		return s.ProjectByID(ctx, ref.ID)
	}
	if ref.Name == "" {
		return nil, model.NotFoundf("No project given.")
	}
	if !isDefaultDomain(ref.DomainID, ref.DomainName) {
		return nil, model.NotFoundf("Could not find domain %s%s.", ref.DomainID, ref.DomainName)
	}
	ps, err := s.ListProjects(ctx, ref.Name)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, model.NotFoundf("Could not find project %s.", ref.Name)
	}
	return ps[0], nil
}

// defaultProject is the scope of a request that names none: the user's
// default project if it exists, is enabled and the user holds a role on
// it; else none.
func (s *Service) defaultProject(ctx context.Context, u *model.User) (*model.Project, error) {
	if u.DefaultProjectID == "" {
		return nil, nil
	}
	p, err := s.ProjectByID(ctx, u.DefaultProjectID)
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !p.Enabled {
		return nil, nil
	}
	roles, err := s.UserRoles(ctx, p.UUID, u.UUID)
	if err != nil {
		return nil, err
	}
	if len(roles) == 0 {
		return nil, nil
	}
	return p, nil
}

// issue stores a new token for the established user on project.
func (s *Service) issue(ctx context.Context, st *authState, p *model.Project) (string, *tokenRecord, error) {
	now := s.now()
	rec := &tokenRecord{UserName: st.user.Name}
	rec.UserID = st.user.UUID
	rec.Methods = st.methods
	rec.IssuedAt = now
	rec.ExpiresAt = now.Add(s.opts.TokenTTL)
	rec.AuditID = randomString(22)
	rec.Roles = []string{}
	if st.prev != nil && st.prev.ExpiresAt.Before(rec.ExpiresAt) {
		rec.ExpiresAt = st.prev.ExpiresAt
	}
	if ac := st.appCred; ac != nil {
		rec.AppCredID = ac.UUID
		rec.AppCredName = ac.Name
		rec.AppCredRestricted = !ac.Unrestricted
		if ac.ExpiresAt != nil && ac.ExpiresAt.Before(rec.ExpiresAt) {
			rec.ExpiresAt = ac.ExpiresAt.UTC()
		}
	}
	if p != nil {
		if !p.Enabled {
			return "", nil, model.Unauthorizedf("Project %s is disabled.", p.Name)
		}
		rec.ProjectID = p.UUID
		rec.ProjectName = p.Name
		if err := s.tokenRoles(ctx, st, rec); err != nil {
			return "", nil, err
		}
	}
	token := newToken()
	rec.UUID = HashToken(token)
	if err := s.st.Create(ctx, rec); err != nil {
		return "", nil, fmt.Errorf("store token: %w", err)
	}
	return token, rec, nil
}

// tokenRoles fills in the roles of a project-scoped token: the user's roles
// on the project, or the application credential's, which the user must
// still hold; implied roles included, sorted by name.
func (s *Service) tokenRoles(ctx context.Context, st *authState, rec *tokenRecord) error {
	idx, err := s.roleIndex(ctx, s.st)
	if err != nil {
		return err
	}
	direct, err := s.UserRoles(ctx, rec.ProjectID, rec.UserID)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(direct))
	for _, r := range direct {
		names = append(names, r.Name)
	}
	held := ExpandRoles(names)
	if ac := st.appCred; ac != nil {
		names = names[:0]
		for _, id := range ac.RoleIDs {
			name, ok := idx.byID[id]
			if !ok || !slices.Contains(held, name) {
				return model.Unauthorizedf("User %s no longer holds every role of application credential %s on project %s.",
					rec.UserName, ac.Name, rec.ProjectName)
			}
			names = append(names, name)
		}
		held = ExpandRoles(names)
	}
	if len(held) == 0 {
		return model.Unauthorizedf("User %s has no role on project %s.", rec.UserName, rec.ProjectName)
	}
	slices.Sort(held)
	rec.Roles = held
	rec.RoleIDs = make([]string, len(held))
	for i, name := range held {
		rec.RoleIDs[i] = idx.byName[name]
	}
	return nil
}
