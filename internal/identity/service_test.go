package identity

import (
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
	sqlstore "github.com/slipway/slipway/internal/store/sql"
)

// testClock is an injectable clock that tests move forward.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// forEachBackend runs test against the in-memory fake and a real SQLite
// store.
func forEachBackend(t *testing.T, test func(t *testing.T, open func(*testing.T) store.Store)) {
	backends := []struct {
		name string
		open func(*testing.T) store.Store
	}{
		{"memory", func(*testing.T) store.Store { return newMemStore() }},
		{"sqlite", func(t *testing.T) store.Store { return openSQLite(t) }},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			test(t, b.open)
		})
	}
}

// openSQLite opens a fresh SQLite store in a temporary directory.
func openSQLite(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlstore.Open(t.Context(), filepath.Join(t.TempDir(), "identity.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// fixture is a bootstrapped service with a project "demo", a member
// "alice" on it (default project demo), a user "bob" without roles, and an
// admin.
type fixture struct {
	svc    *Service
	st     store.Store
	clock  *testClock
	admin  *model.User
	alice  *model.User
	bob    *model.User
	demo   *model.Project
	roles  map[string]string // name → id
	adminP *model.Project
}

const (
	adminPassword = "admin-secret"
	alicePassword = "alice-secret"
	bobPassword   = "bob-secret"
)

func newFixture(t *testing.T, st store.Store) *fixture {
	t.Helper()
	ctx := t.Context()
	clock := &testClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	svc := New(st, Options{PasswordCost: bcrypt.MinCost, Now: clock.Now})
	res, err := svc.Bootstrap(ctx, BootstrapOptions{AdminPassword: adminPassword})
	if err != nil || !res.Created {
		t.Fatalf("Bootstrap = %+v, %v", res, err)
	}
	f := &fixture{svc: svc, st: st, clock: clock, roles: map[string]string{}}
	rs, err := svc.ListRoles(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		f.roles[r.Name] = r.UUID
	}
	if f.adminP, err = svc.GetProject(ctx, AdminProjectName); err != nil {
		t.Fatal(err)
	}
	if f.admin, err = svc.userByName(ctx, AdminUserName); err != nil {
		t.Fatal(err)
	}
	f.demo = &model.Project{Name: "demo", Enabled: true}
	if err := svc.CreateProject(ctx, f.demo); err != nil {
		t.Fatal(err)
	}
	f.alice = &model.User{Name: "alice", Enabled: true, DefaultProjectID: f.demo.UUID}
	if err := svc.CreateUser(ctx, f.alice, alicePassword); err != nil {
		t.Fatal(err)
	}
	if err := svc.Grant(ctx, f.demo.UUID, f.alice.UUID, f.roles[model.RoleMember]); err != nil {
		t.Fatal(err)
	}
	f.bob = &model.User{Name: "bob", Enabled: true}
	if err := svc.CreateUser(ctx, f.bob, bobPassword); err != nil {
		t.Fatal(err)
	}
	return f
}

func passwordAuth(name, password string, scope Scope) AuthRequest {
	return AuthRequest{
		Methods:  []string{MethodPassword},
		Password: &PasswordAuth{User: UserRef{Name: name, DomainName: "Default"}, Password: password},
		Scope:    scope,
	}
}

func projectScope(name string) Scope {
	return Scope{Project: &ProjectRef{Name: name, DomainID: "default"}}
}

// login authenticates and fails the test on error.
func (f *fixture) login(t *testing.T, req AuthRequest) (string, *Credentials) {
	t.Helper()
	tok, creds, _, err := f.svc.Authenticate(t.Context(), req)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	return tok, creds
}

func wantErr(t *testing.T, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error = %v, want one wrapping %v", err, sentinel)
	}
}

func TestPasswordAuthentication(t *testing.T) {
	t.Parallel()
	forEachBackend(t, testPasswordAuthentication)
}

func testPasswordAuthentication(t *testing.T, open func(*testing.T) store.Store) {
	f := newFixture(t, open(t))
	tests := []struct {
		name        string
		req         AuthRequest
		wantProject string // name; "" means unscoped
		wantRoles   []string
		wantErr     error
	}{
		{
			name:        "by name scoped by project name",
			req:         passwordAuth("alice", alicePassword, projectScope("demo")),
			wantProject: "demo",
			wantRoles:   []string{model.RoleMember, model.RoleReader},
		},
		{
			name: "by user id scoped by project id",
			req: AuthRequest{
				Methods:  []string{MethodPassword},
				Password: &PasswordAuth{User: UserRef{ID: f.alice.UUID}, Password: alicePassword},
				Scope:    Scope{Project: &ProjectRef{ID: f.demo.UUID}},
			},
			wantProject: "demo",
			wantRoles:   []string{model.RoleMember, model.RoleReader},
		},
		{
			name: "by name with domain id",
			req: AuthRequest{
				Methods:  []string{MethodPassword},
				Password: &PasswordAuth{User: UserRef{Name: "alice", DomainID: "default"}, Password: alicePassword},
				Scope:    projectScope("demo"),
			},
			wantProject: "demo",
			wantRoles:   []string{model.RoleMember, model.RoleReader},
		},
		{
			name:        "no scope falls back to the default project",
			req:         passwordAuth("alice", alicePassword, Scope{}),
			wantProject: "demo",
			wantRoles:   []string{model.RoleMember, model.RoleReader},
		},
		{
			name:      "explicitly unscoped",
			req:       passwordAuth("alice", alicePassword, Scope{Unscoped: true}),
			wantRoles: []string{},
		},
		{
			name:      "no default project gives an unscoped token",
			req:       passwordAuth("bob", bobPassword, Scope{}),
			wantRoles: []string{},
		},
		{
			name:        "admin implies member and reader",
			req:         passwordAuth("admin", adminPassword, projectScope("admin")),
			wantProject: "admin",
			wantRoles:   []string{model.RoleAdmin, model.RoleMember, model.RoleReader},
		},
		{name: "wrong password", req: passwordAuth("alice", "nope", projectScope("demo")), wantErr: model.ErrUnauthorized},
		{name: "unknown user", req: passwordAuth("carol", "nope", Scope{}), wantErr: model.ErrUnauthorized},
		{
			name: "other domain",
			req: AuthRequest{
				Methods:  []string{MethodPassword},
				Password: &PasswordAuth{User: UserRef{Name: "alice", DomainName: "Other"}, Password: alicePassword},
			},
			wantErr: model.ErrUnauthorized,
		},
		{name: "no role on the project", req: passwordAuth("bob", bobPassword, projectScope("demo")), wantErr: model.ErrUnauthorized},
		{name: "unknown project", req: passwordAuth("alice", alicePassword, projectScope("nope")), wantErr: model.ErrUnauthorized},
		{name: "domain scope", req: passwordAuth("alice", alicePassword, Scope{Other: "domain"}), wantErr: model.ErrUnauthorized},
		{name: "unsupported method", req: AuthRequest{Methods: []string{"totp"}}, wantErr: model.ErrUnauthorized},
		{name: "no method", req: AuthRequest{}, wantErr: model.ErrInvalid},
		{name: "password method without payload", req: AuthRequest{Methods: []string{MethodPassword}}, wantErr: model.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, creds, tokObj, err := f.svc.Authenticate(t.Context(), tt.req)
			if tt.wantErr != nil {
				wantErr(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if creds.ProjectName != tt.wantProject {
				t.Errorf("project = %q, want %q", creds.ProjectName, tt.wantProject)
			}
			if !slices.Equal(creds.Roles, tt.wantRoles) {
				t.Errorf("roles = %q, want %q", creds.Roles, tt.wantRoles)
			}
			if tokObj.UUID != HashToken(tok) || tokObj.UUID == tok {
				t.Errorf("stored token id %q is not the hash of the token", tokObj.UUID)
			}
			got, err := f.svc.Validate(t.Context(), tok)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got.UserID != creds.UserID || got.ProjectID != creds.ProjectID || !slices.Equal(got.Roles, creds.Roles) {
				t.Errorf("Validate = %+v, want %+v", got, creds)
			}
			if got.DomainID != model.DefaultDomainID {
				t.Errorf("domain = %q, want %q", got.DomainID, model.DefaultDomainID)
			}
		})
	}
}

func TestCredentialsRoles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		roles             []string
		admin, member, rd bool
	}{
		{roles: ExpandRoles([]string{model.RoleAdmin}), admin: true, member: true, rd: true},
		{roles: ExpandRoles([]string{model.RoleMember}), member: true, rd: true},
		{roles: ExpandRoles([]string{model.RoleReader}), rd: true},
		{roles: ExpandRoles([]string{"custom"})},
	}
	for _, tt := range tests {
		c := &Credentials{Roles: tt.roles}
		if c.IsAdmin() != tt.admin || c.HasRole(model.RoleMember) != tt.member || c.HasRole(model.RoleReader) != tt.rd {
			t.Errorf("%q: admin %v member %v reader %v", tt.roles, c.IsAdmin(), c.HasRole(model.RoleMember), c.HasRole(model.RoleReader))
		}
	}
	if got := ExpandRoles([]string{"custom", model.RoleAdmin, model.RoleReader}); !slices.Equal(got, []string{"custom", "admin", "member", "reader"}) {
		t.Errorf("ExpandRoles = %q", got)
	}
	var nilCreds *Credentials
	if nilCreds.IsAdmin() {
		t.Error("nil credentials are admin")
	}
}

func TestDisabledUserAndProject(t *testing.T) {
	t.Parallel()
	forEachBackend(t, testDisabledUserAndProject)
}

func testDisabledUserAndProject(t *testing.T, open func(*testing.T) store.Store) {
	ctx := t.Context()
	f := newFixture(t, open(t))
	tok, _ := f.login(t, passwordAuth("alice", alicePassword, projectScope("demo")))

	disabled := false
	if _, err := f.svc.UpdateProject(ctx, f.demo.UUID, ProjectUpdate{Enabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Validate(ctx, tok)
	wantErr(t, err, model.ErrUnauthorized)
	_, _, _, err = f.svc.Authenticate(ctx, passwordAuth("alice", alicePassword, projectScope("demo")))
	wantErr(t, err, model.ErrUnauthorized)
	// Without a scope, a disabled default project means an unscoped token.
	_, creds := f.login(t, passwordAuth("alice", alicePassword, Scope{}))
	if creds.Scoped() {
		t.Errorf("scoped to disabled default project %s", creds.ProjectName)
	}

	unscoped, _ := f.login(t, passwordAuth("alice", alicePassword, Scope{Unscoped: true}))
	if _, err := f.svc.UpdateUser(ctx, f.alice.UUID, UserUpdate{Enabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Validate(ctx, unscoped)
	wantErr(t, err, model.ErrUnauthorized)
	_, _, _, err = f.svc.Authenticate(ctx, passwordAuth("alice", alicePassword, Scope{Unscoped: true}))
	wantErr(t, err, model.ErrUnauthorized)
}

func TestTokenRescope(t *testing.T) {
	t.Parallel()
	forEachBackend(t, testTokenRescope)
}

func testTokenRescope(t *testing.T, open func(*testing.T) store.Store) {
	ctx := t.Context()
	f := newFixture(t, open(t))
	unscoped, creds := f.login(t, passwordAuth("alice", alicePassword, Scope{Unscoped: true}))
	if creds.Scoped() || len(creds.Roles) != 0 {
		t.Fatalf("unscoped token has project %q roles %q", creds.ProjectID, creds.Roles)
	}
	f.clock.Advance(time.Hour)
	scoped, creds := f.login(t, AuthRequest{Methods: []string{MethodToken}, Token: unscoped, Scope: projectScope("demo")})
	if creds.ProjectID != f.demo.UUID || !creds.HasRole(model.RoleMember) {
		t.Fatalf("rescoped credentials = %+v", creds)
	}
	ti, err := f.svc.Inspect(ctx, scoped)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ti.Methods, []string{MethodToken, MethodPassword}) {
		t.Errorf("methods = %q, want token, password", ti.Methods)
	}
	orig, _ := f.svc.Inspect(ctx, unscoped)
	if !ti.ExpiresAt.Equal(orig.ExpiresAt) {
		t.Errorf("rescoped token expires %v, want the original's %v", ti.ExpiresAt, orig.ExpiresAt)
	}
	if len(ti.RoleIDs) != len(ti.Roles) || ti.RoleIDs[0] != f.roles[model.RoleMember] {
		t.Errorf("role ids %q do not match roles %q", ti.RoleIDs, ti.Roles)
	}

	// A user without a role on a project cannot rescope to it.
	bobTok, _ := f.login(t, passwordAuth("bob", bobPassword, Scope{}))
	_, _, _, err = f.svc.Authenticate(ctx, AuthRequest{Methods: []string{MethodToken}, Token: bobTok, Scope: projectScope("demo")})
	wantErr(t, err, model.ErrUnauthorized)
	// Nor can anyone with a bad token.
	_, _, _, err = f.svc.Authenticate(ctx, AuthRequest{Methods: []string{MethodToken}, Token: "slw_bogus", Scope: projectScope("demo")})
	wantErr(t, err, model.ErrUnauthorized)
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	forEachBackend(t, testTokenExpiry)
}

func testTokenExpiry(t *testing.T, open func(*testing.T) store.Store) {
	ctx := t.Context()
	f := newFixture(t, open(t))
	tok, creds := f.login(t, passwordAuth("alice", alicePassword, projectScope("demo")))
	if want := f.clock.Now().Add(DefaultTokenTTL); !creds.ExpiresAt.Equal(want) {
		t.Errorf("expires at %v, want %v", creds.ExpiresAt, want)
	}
	f.clock.Advance(DefaultTokenTTL - time.Second)
	if _, err := f.svc.Validate(ctx, tok); err != nil {
		t.Fatalf("Validate just before expiry: %v", err)
	}
	fresh, _ := f.login(t, passwordAuth("alice", alicePassword, projectScope("demo")))
	f.clock.Advance(time.Second)
	_, err := f.svc.Validate(ctx, tok)
	wantErr(t, err, model.ErrUnauthorized)

	n, err := f.svc.PurgeExpired(ctx)
	if err != nil || n != 1 {
		t.Fatalf("PurgeExpired = %d, %v; want 1", n, err)
	}
	if cnt, _ := f.st.Count(ctx, model.KindToken, store.Query{}); cnt != 1 {
		t.Errorf("%d tokens left, want 1", cnt)
	}
	if _, err := f.svc.Validate(ctx, fresh); err != nil {
		t.Errorf("unexpired token after purge: %v", err)
	}
}

func TestMalformedTokens(t *testing.T) {
	t.Parallel()
	forEachBackend(t, testMalformedTokens)
}

func testMalformedTokens(t *testing.T, open func(*testing.T) store.Store) {
	f := newFixture(t, open(t))
	for _, tok := range []string{"", "garbage", "slw_" + "x", "gAAAAABnot-a-slipway-token", newToken()} {
		_, err := f.svc.Validate(t.Context(), tok)
		wantErr(t, err, model.ErrUnauthorized)
	}
}

func TestApplicationCredentials(t *testing.T) {
	t.Parallel()
	forEachBackend(t, testApplicationCredentials)
}

func testApplicationCredentials(t *testing.T, open func(*testing.T) store.Store) {
	ctx := t.Context()
	f := newFixture(t, open(t))
	// Alice becomes admin on demo too, so that she can delegate a subset.
	if err := f.svc.Grant(ctx, f.demo.UUID, f.alice.UUID, f.roles[model.RoleAdmin]); err != nil {
		t.Fatal(err)
	}
	_, creds := f.login(t, passwordAuth("alice", alicePassword, projectScope("demo")))

	all, secret, err := f.svc.CreateApplicationCredential(ctx, creds, f.alice.UUID, AppCredCreate{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) < 32 || all.SecretHash == "" || all.SecretHash == secret {
		t.Fatalf("secret %q hash %q", secret, all.SecretHash)
	}
	if all.ProjectID != f.demo.UUID || len(all.RoleIDs) != 3 {
		t.Errorf("credential = %+v, want project demo with 3 roles", all)
	}
	reader, _, err := f.svc.CreateApplicationCredential(ctx, creds, f.alice.UUID, AppCredCreate{
		Name: "ro", Secret: "my-own-secret", Roles: []RoleRef{{Name: model.RoleReader}},
	})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		auth      AppCredAuth
		scope     Scope
		wantRoles []string
		wantErr   error
	}{
		{name: "by id", auth: AppCredAuth{ID: all.UUID, Secret: secret}, wantRoles: []string{"admin", "member", "reader"}},
		{name: "by name and user id", auth: AppCredAuth{Name: "ro", User: UserRef{ID: f.alice.UUID}, Secret: "my-own-secret"}, wantRoles: []string{"reader"}},
		{name: "by name and user name", auth: AppCredAuth{Name: "ro", User: UserRef{Name: "alice", DomainName: "Default"}, Secret: "my-own-secret"}, wantRoles: []string{"reader"}},
		{name: "wrong secret", auth: AppCredAuth{ID: all.UUID, Secret: "nope"}, wantErr: model.ErrUnauthorized},
		{name: "unknown id", auth: AppCredAuth{ID: "nope", Secret: secret}, wantErr: model.ErrUnauthorized},
		{name: "scope requested", auth: AppCredAuth{ID: all.UUID, Secret: secret}, scope: projectScope("demo"), wantErr: model.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, got, _, err := f.svc.Authenticate(t.Context(), AuthRequest{Methods: []string{MethodAppCred}, AppCred: &tt.auth, Scope: tt.scope})
			if tt.wantErr != nil {
				wantErr(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ProjectID != f.demo.UUID || !slices.Equal(got.Roles, tt.wantRoles) || got.AppCredID == "" {
				t.Errorf("credentials = %+v, want demo with %q", got, tt.wantRoles)
			}
			// Tokens of application credentials cannot be rescoped.
			_, _, _, err = f.svc.Authenticate(t.Context(), AuthRequest{Methods: []string{MethodToken}, Token: tok, Scope: projectScope("admin")})
			wantErr(t, err, model.ErrUnauthorized)
		})
	}

	t.Run("restrictions", func(t *testing.T) {
		t.Parallel()
		_, _, err := f.svc.CreateApplicationCredential(ctx, creds, f.alice.UUID, AppCredCreate{Name: "ci"})
		wantErr(t, err, model.ErrConflict)
		_, _, err = f.svc.CreateApplicationCredential(ctx, creds, f.bob.UUID, AppCredCreate{Name: "x"})
		wantErr(t, err, model.ErrForbidden)
		_, roCreds := f.login(t, AuthRequest{Methods: []string{MethodAppCred}, AppCred: &AppCredAuth{ID: reader.UUID, Secret: "my-own-secret"}})
		// A restricted credential cannot create or delete credentials.
		_, _, err = f.svc.CreateApplicationCredential(ctx, roCreds, f.alice.UUID, AppCredCreate{Name: "child"})
		wantErr(t, err, model.ErrForbidden)
		err = f.svc.DeleteApplicationCredential(ctx, roCreds, f.alice.UUID, all.UUID)
		wantErr(t, err, model.ErrForbidden)
		// Nor can anyone give away a role they do not hold.
		_, memberCreds := f.login(t, passwordAuth("alice", alicePassword, projectScope("demo")))
		memberCreds.Roles = []string{model.RoleReader}
		_, _, err = f.svc.CreateApplicationCredential(ctx, memberCreds, f.alice.UUID, AppCredCreate{Name: "escalate", Roles: []RoleRef{{Name: model.RoleAdmin}}})
		wantErr(t, err, model.ErrForbidden)
		past := f.clock.Now().Add(-time.Minute)
		_, _, err = f.svc.CreateApplicationCredential(ctx, creds, f.alice.UUID, AppCredCreate{Name: "old", ExpiresAt: &past})
		wantErr(t, err, model.ErrInvalid)
	})
}

func TestApplicationCredentialExpiry(t *testing.T) {
	t.Parallel()
	forEachBackend(t, testApplicationCredentialExpiry)
}

func testApplicationCredentialExpiry(t *testing.T, open func(*testing.T) store.Store) {
	ctx := t.Context()
	f := newFixture(t, open(t))
	_, creds := f.login(t, passwordAuth("alice", alicePassword, projectScope("demo")))
	exp := f.clock.Now().Add(time.Hour)
	ac, secret, err := f.svc.CreateApplicationCredential(ctx, creds, f.alice.UUID, AppCredCreate{Name: "short", ExpiresAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	req := AuthRequest{Methods: []string{MethodAppCred}, AppCred: &AppCredAuth{ID: ac.UUID, Secret: secret}}
	tok, got := f.login(t, req)
	if !got.ExpiresAt.Equal(exp) {
		t.Errorf("token expires %v, want the credential's %v", got.ExpiresAt, exp)
	}
	f.clock.Advance(time.Hour)
	_, err = f.svc.Validate(ctx, tok)
	wantErr(t, err, model.ErrUnauthorized)
	_, _, _, err = f.svc.Authenticate(ctx, req)
	wantErr(t, err, model.ErrUnauthorized)
}

func TestRevocation(t *testing.T) {
	t.Parallel()
	forEachBackend(t, testRevocation)
}

func testRevocation(t *testing.T, open func(*testing.T) store.Store) {
	tests := []struct {
		name   string
		revoke func(t *testing.T, f *fixture, tok string, appCredID string)
		// survives reports whether a token of admin survives.
		adminSurvives bool
	}{
		{
			name: "revoke token",
			revoke: func(t *testing.T, f *fixture, tok, _ string) {
				if err := f.svc.RevokeToken(t.Context(), tok); err != nil {
					t.Fatal(err)
				}
				wantErr(t, f.svc.RevokeToken(t.Context(), tok), model.ErrNotFound)
			},
			adminSurvives: true,
		},
		{
			name: "delete user",
			revoke: func(t *testing.T, f *fixture, _, _ string) {
				if err := f.svc.DeleteUser(t.Context(), f.alice.UUID); err != nil {
					t.Fatal(err)
				}
				if as, _ := f.svc.ListAssignments(t.Context(), AssignmentFilter{UserID: f.alice.UUID}); len(as) != 0 {
					t.Errorf("%d assignments left", len(as))
				}
			},
			adminSurvives: true,
		},
		{
			name: "delete project",
			revoke: func(t *testing.T, f *fixture, _, _ string) {
				if err := f.svc.DeleteProject(t.Context(), f.demo.UUID); err != nil {
					t.Fatal(err)
				}
			},
			adminSurvives: true,
		},
		{
			name: "revoke role assignment",
			revoke: func(t *testing.T, f *fixture, _, _ string) {
				if err := f.svc.Revoke(t.Context(), f.demo.UUID, f.alice.UUID, f.roles[model.RoleMember]); err != nil {
					t.Fatal(err)
				}
			},
			adminSurvives: true,
		},
		{
			name: "delete application credential",
			revoke: func(t *testing.T, f *fixture, _, appCredID string) {
				creds := &Credentials{UserID: f.alice.UUID}
				if err := f.svc.DeleteApplicationCredential(t.Context(), creds, f.alice.UUID, appCredID); err != nil {
					t.Fatal(err)
				}
			},
			adminSurvives: true,
		},
		{
			name: "change password",
			revoke: func(t *testing.T, f *fixture, _, _ string) {
				wantErr(t, f.svc.ChangePassword(t.Context(), f.alice.UUID, "wrong", "new-password"), model.ErrUnauthorized)
				if err := f.svc.ChangePassword(t.Context(), f.alice.UUID, alicePassword, "new-password"); err != nil {
					t.Fatal(err)
				}
			},
			adminSurvives: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			f := newFixture(t, open(t))
			tok, creds := f.login(t, passwordAuth("alice", alicePassword, projectScope("demo")))
			ac, secret, err := f.svc.CreateApplicationCredential(ctx, creds, f.alice.UUID, AppCredCreate{Name: "ci"})
			if err != nil {
				t.Fatal(err)
			}
			acTok, _ := f.login(t, AuthRequest{Methods: []string{MethodAppCred}, AppCred: &AppCredAuth{ID: ac.UUID, Secret: secret}})
			adminTok, _ := f.login(t, passwordAuth("admin", adminPassword, projectScope("admin")))
			// Warm the cache: revocation must reach cached tokens too.
			for _, tk := range []string{tok, acTok, adminTok} {
				if _, err := f.svc.Validate(ctx, tk); err != nil {
					t.Fatal(err)
				}
			}

			tt.revoke(t, f, tok, ac.UUID)

			victim := tok
			if tt.name == "delete application credential" {
				victim = acTok
				if _, err := f.svc.Validate(ctx, tok); err != nil {
					t.Errorf("the user's password token was revoked too: %v", err)
				}
			}
			_, err = f.svc.Validate(ctx, victim)
			wantErr(t, err, model.ErrUnauthorized)
			if _, err := f.svc.Validate(ctx, adminTok); (err == nil) != tt.adminSurvives {
				t.Errorf("admin token: %v", err)
			}
		})
	}
}

func TestRevokedAssignmentInvalidatesAppCred(t *testing.T) {
	t.Parallel()
	forEachBackend(t, testRevokedAssignmentInvalidatesAppCred)
}

func testRevokedAssignmentInvalidatesAppCred(t *testing.T, open func(*testing.T) store.Store) {
	ctx := t.Context()
	f := newFixture(t, open(t))
	_, creds := f.login(t, passwordAuth("alice", alicePassword, projectScope("demo")))
	ac, secret, err := f.svc.CreateApplicationCredential(ctx, creds, f.alice.UUID, AppCredCreate{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Revoke(ctx, f.demo.UUID, f.alice.UUID, f.roles[model.RoleMember]); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = f.svc.Authenticate(ctx, AuthRequest{Methods: []string{MethodAppCred}, AppCred: &AppCredAuth{ID: ac.UUID, Secret: secret}})
	wantErr(t, err, model.ErrUnauthorized)
}

func TestBootstrap(t *testing.T) {
	t.Parallel()
	forEachBackend(t, testBootstrap)
}

func testBootstrap(t *testing.T, open func(*testing.T) store.Store) {
	ctx := t.Context()
	t.Run("generated password", func(t *testing.T) {
		t.Parallel()
		svc := New(open(t), Options{PasswordCost: bcrypt.MinCost})
		res, err := svc.Bootstrap(ctx, BootstrapOptions{})
		if err != nil || !res.Created || len(res.Password) < 24 {
			t.Fatalf("Bootstrap = %+v, %v", res, err)
		}
		_, creds, _, err := svc.Authenticate(ctx, passwordAuth("admin", res.Password, Scope{}))
		if err != nil {
			t.Fatal(err)
		}
		if creds.ProjectName != AdminProjectName || !creds.IsAdmin() {
			t.Errorf("admin credentials = %+v", creds)
		}
	})
	t.Run("idempotent", func(t *testing.T) {
		t.Parallel()
		st := open(t)
		svc := New(st, Options{PasswordCost: bcrypt.MinCost})
		if _, err := svc.Bootstrap(ctx, BootstrapOptions{AdminPassword: "first"}); err != nil {
			t.Fatal(err)
		}
		counts := func() []int {
			var out []int
			for _, k := range []model.Kind{model.KindRole, model.KindProject, model.KindUser, model.KindRoleAssignment} {
				n, _ := st.Count(ctx, k, store.Query{})
				out = append(out, n)
			}
			return out
		}
		before := counts()
		if !slices.Equal(before, []int{3, 1, 1, 1}) {
			t.Errorf("roles, projects, users, assignments = %v, want 3 1 1 1", before)
		}
		res, err := svc.Bootstrap(ctx, BootstrapOptions{AdminPassword: "second"})
		if err != nil || res.Created || res.Password != "" {
			t.Fatalf("second Bootstrap = %+v, %v", res, err)
		}
		if after := counts(); !slices.Equal(before, after) {
			t.Errorf("second bootstrap changed counts %v → %v", before, after)
		}
		if _, _, _, err := svc.Authenticate(ctx, passwordAuth("admin", "first", Scope{})); err != nil {
			t.Errorf("original password no longer works: %v", err)
		}
		_, _, _, err = svc.Authenticate(ctx, passwordAuth("admin", "second", Scope{}))
		wantErr(t, err, model.ErrUnauthorized)
	})
}

func TestManagement(t *testing.T) {
	t.Parallel()
	forEachBackend(t, testManagement)
}

func testManagement(t *testing.T, open func(*testing.T) store.Store) {
	ctx := t.Context()
	f := newFixture(t, open(t))

	wantErr(t, f.svc.CreateProject(ctx, &model.Project{Name: "demo"}), model.ErrConflict)
	wantErr(t, f.svc.CreateProject(ctx, &model.Project{Name: " "}), model.ErrInvalid)
	wantErr(t, f.svc.CreateUser(ctx, &model.User{Name: "alice"}, "x"), model.ErrConflict)
	wantErr(t, f.svc.CreateUser(ctx, &model.User{Name: "dave", DefaultProjectID: "nope"}, "x"), model.ErrInvalid)
	wantErr(t, f.svc.CreateRole(ctx, &model.Role{Name: model.RoleMember}), model.ErrConflict)

	for _, ref := range []string{"demo", f.demo.UUID} {
		p, err := f.svc.GetProject(ctx, ref)
		if err != nil || p.UUID != f.demo.UUID {
			t.Errorf("GetProject(%q) = %v, %v", ref, p, err)
		}
	}
	_, err := f.svc.GetProject(ctx, "nope")
	wantErr(t, err, model.ErrNotFound)

	name := "admin"
	_, err = f.svc.UpdateProject(ctx, f.demo.UUID, ProjectUpdate{Name: &name})
	wantErr(t, err, model.ErrConflict)
	name = "demo2"
	if p, err := f.svc.UpdateProject(ctx, f.demo.UUID, ProjectUpdate{Name: &name}); err != nil || p.Name != "demo2" {
		t.Errorf("rename = %v, %v", p, err)
	}

	wantErr(t, f.svc.DeleteRole(ctx, f.roles[model.RoleAdmin]), model.ErrForbidden)
	newName := "boss"
	_, err = f.svc.UpdateRole(ctx, f.roles[model.RoleAdmin], &newName)
	wantErr(t, err, model.ErrForbidden)

	custom := &model.Role{Name: "auditor"}
	if err := f.svc.CreateRole(ctx, custom); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Grant(ctx, f.demo.UUID, f.bob.UUID, custom.UUID); err != nil {
		t.Fatal(err)
	}
	// Granting twice is fine and stores one assignment.
	if err := f.svc.Grant(ctx, f.demo.UUID, f.bob.UUID, custom.UUID); err != nil {
		t.Fatal(err)
	}
	if as, _ := f.svc.ListAssignments(ctx, AssignmentFilter{ProjectID: f.demo.UUID}); len(as) != 2 {
		t.Errorf("%d assignments on demo, want 2", len(as))
	}
	if err := f.svc.CheckGrant(ctx, f.demo.UUID, f.bob.UUID, custom.UUID); err != nil {
		t.Error(err)
	}
	wantErr(t, f.svc.Grant(ctx, "nope", f.bob.UUID, custom.UUID), model.ErrNotFound)
	ps, err := f.svc.UserProjects(ctx, f.bob.UUID)
	if err != nil || len(ps) != 1 || ps[0].UUID != f.demo.UUID {
		t.Errorf("UserProjects = %v, %v", ps, err)
	}
	tok, creds := f.login(t, passwordAuth("bob", bobPassword, Scope{Project: &ProjectRef{ID: f.demo.UUID}}))
	if !slices.Equal(creds.Roles, []string{"auditor"}) {
		t.Errorf("roles = %q", creds.Roles)
	}
	if err := f.svc.DeleteRole(ctx, custom.UUID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Validate(ctx, tok)
	wantErr(t, err, model.ErrUnauthorized)
	wantErr(t, f.svc.CheckGrant(ctx, f.demo.UUID, f.bob.UUID, custom.UUID), model.ErrNotFound)
}

func TestCatalog(t *testing.T) {
	t.Parallel()
	svc := New(newMemStore(), Options{Catalog: []CatalogService{
		{Type: "container-infra", Name: "magnum", URL: "http://h/magnum/v1"},
		{Type: "orchestration", Name: "heat", URL: "http://h/heat/v1/{project_id}"},
	}})
	cat := svc.Catalog("p1")
	if len(cat) != 2 || len(cat[1].Endpoints) != 3 {
		t.Fatalf("catalog = %+v", cat)
	}
	if got := cat[1].Endpoints[0].URL; got != "http://h/heat/v1/p1" {
		t.Errorf("heat url = %q", got)
	}
	if cat[0].Endpoints[0].Region != DefaultRegion || cat[0].ID != svc.Catalog("p2")[0].ID {
		t.Errorf("region or ids unstable: %+v", cat[0])
	}
	if len(svc.Catalog("")) != 0 {
		t.Error("unscoped catalog is not empty")
	}
}
