// Package registrytest starts Slipway's embedded registry for tests, over a
// real identity service with a SQLite store and real users.
package registrytest

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/slipway/slipway/internal/artifacts/registry"
	"github.com/slipway/slipway/internal/identity"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/secrets"
	storesql "github.com/slipway/slipway/internal/store/sql"
)

// User is a Slipway user of a Fixture.
type User struct {
	Name     string
	Password string
	// Project is the project the user holds Role on.
	Project string
	Role    string
}

// Fixture is a running registry with users:
//
//	admin / AdminPassword: admin of project admin
//	alice: member of project alpha
//	rita:  reader of project alpha
//	bob:   member of project beta
type Fixture struct {
	// URL is the registry's base URL, http://127.0.0.1:PORT.
	URL string
	// Host is URL without its scheme.
	Host     string
	Registry *registry.Registry
	Identity *identity.Service
	Users    map[string]User
	// Requests records the path and ns of every request the server got.
	Requests *RequestLog
}

// AdminPassword is the admin user's password.
const AdminPassword = "admin-secret"

// New starts a registry with its storage under t.TempDir() on a loopback
// port, and stops it when the test ends.
func New(t testing.TB) *Fixture {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	key, err := secrets.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := storesql.Open(ctx, filepath.Join(dir, "slipway.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	svc := identity.New(st, identity.Options{PasswordCost: bcrypt.MinCost})
	if _, err := svc.Bootstrap(ctx, identity.BootstrapOptions{AdminPassword: AdminPassword}); err != nil {
		t.Fatal(err)
	}
	f := &Fixture{Identity: svc, Users: map[string]User{
		"admin": {Name: "admin", Password: AdminPassword, Project: identity.AdminProjectName, Role: model.RoleAdmin},
	}, Requests: &RequestLog{}}
	projects := map[string]string{}
	for _, p := range []string{"alpha", "beta"} {
		proj := &model.Project{Name: p, Enabled: true}
		if err := svc.CreateProject(ctx, proj); err != nil {
			t.Fatal(err)
		}
		projects[p] = proj.UUID
	}
	for _, u := range []User{
		{Name: "alice", Password: "alice-pw", Project: "alpha", Role: "member"},
		{Name: "rita", Password: "rita-pw", Project: "alpha", Role: "reader"},
		{Name: "bob", Password: "bob-pw", Project: "beta", Role: "member"},
	} {
		mu := &model.User{Name: u.Name, Enabled: true, DefaultProjectID: projects[u.Project]}
		if err := svc.CreateUser(ctx, mu, u.Password); err != nil {
			t.Fatal(err)
		}
		roles, err := svc.ListRoles(ctx, u.Role)
		if err != nil || len(roles) != 1 {
			t.Fatalf("role %s: %v", u.Role, err)
		}
		if err := svc.Grant(ctx, projects[u.Project], mu.UUID, roles[0].UUID); err != nil {
			t.Fatal(err)
		}
		f.Users[u.Name] = u
	}

	level := slog.LevelWarn
	if os.Getenv("SLIPWAY_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	reg, err := registry.New(registry.Options{
		StorageDir:    filepath.Join(dir, "registry"),
		Authenticator: registry.IdentityAuthenticator{Service: svc},
		Log:           slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	mux := http.NewServeMux()
	mux.Handle(registry.Prefix, reg)
	srv := httptest.NewServer(f.Requests.wrap(mux))
	t.Cleanup(srv.Close)
	f.URL, f.Registry = srv.URL, reg
	f.Host = strings.TrimPrefix(srv.URL, "http://")
	return f
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
