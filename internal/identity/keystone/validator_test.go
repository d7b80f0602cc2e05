package keystone_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/slipway/slipway/internal/api"
	apiidentity "github.com/slipway/slipway/internal/api/identity"
	"github.com/slipway/slipway/internal/identity"
	"github.com/slipway/slipway/internal/identity/keystone"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store/sql"
)

// keystoneEnv is Slipway's own Keystone-compatible identity API, standing
// in for a real Keystone, with a count of the requests it served.
type keystoneEnv struct {
	srv      *httptest.Server
	svc      *identity.Service
	requests atomic.Int64
}

const adminPassword = "pw-admin"

func newKeystone(t *testing.T) *keystoneEnv {
	t.Helper()
	st, err := sql.Open(t.Context(), filepath.Join(t.TempDir(), "identity.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := identity.New(st, identity.Options{PasswordCost: bcrypt.MinCost})
	if _, err := svc.Bootstrap(t.Context(), identity.BootstrapOptions{AdminPassword: adminPassword}); err != nil {
		t.Fatal(err)
	}
	k := &keystoneEnv{svc: svc}
	mux := http.NewServeMux()
	k.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.requests.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(k.srv.Close)
	mux.Handle("/", apiidentity.New(svc, apiidentity.Options{BaseURL: k.srv.URL}))
	return k
}

func (k *keystoneEnv) login(t *testing.T, project string) string {
	t.Helper()
	tok, _, _, err := k.svc.Authenticate(t.Context(), identity.AuthRequest{
		Methods:  []string{identity.MethodPassword},
		Password: &identity.PasswordAuth{User: identity.UserRef{Name: "admin"}, Password: adminPassword},
		Scope:    identity.Scope{Project: &identity.ProjectRef{Name: project}, Unscoped: project == ""},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// The validator satisfies the API's consumer interface.
var _ api.TokenValidator = (*keystone.Validator)(nil)

func TestValidateAgainstSlipwayIdentity(t *testing.T) {
	t.Parallel()
	k := newKeystone(t)
	scoped := k.login(t, "admin")
	unscoped := k.login(t, "")
	tests := []struct {
		name        string
		url         string
		token       string
		wantProject string
		wantRoles   []string
		wantErr     error
	}{
		{name: "scoped", url: k.srv.URL, token: scoped, wantProject: "admin", wantRoles: []string{"admin", "member", "reader"}},
		{name: "v3 url", url: k.srv.URL + "/v3/", token: scoped, wantProject: "admin", wantRoles: []string{"admin", "member", "reader"}},
		{name: "unscoped", url: k.srv.URL, token: unscoped, wantRoles: []string{}},
		{name: "unknown", url: k.srv.URL, token: "slw_unknown", wantErr: model.ErrUnauthorized},
		{name: "empty", url: k.srv.URL, token: "", wantErr: model.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			creds, err := keystone.New(tt.url, nil).Validate(t.Context(), tt.token)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if creds.UserName != "admin" || creds.UserID == "" || creds.DomainID != "default" || creds.ProjectName != tt.wantProject {
				t.Errorf("credentials = %+v", creds)
			}
			if !slices.Equal(creds.Roles, tt.wantRoles) {
				t.Errorf("roles = %q, want %q", creds.Roles, tt.wantRoles)
			}
			if time.Until(creds.ExpiresAt) < time.Hour {
				t.Errorf("expires at %v", creds.ExpiresAt)
			}
		})
	}
}

func TestValidateCaches(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	k := newKeystone(t)
	token := k.login(t, "admin")
	v := keystone.New(k.srv.URL, k.srv.Client())
	now := time.Now()
	keystone.SetNow(v, func() time.Time { return now })

	first, err := v.Validate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	first.Roles[0] = "tampered"
	before := k.requests.Load()
	second, err := v.Validate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if k.requests.Load() != before {
		t.Error("a cached token was validated again")
	}
	if second.Roles[0] != "admin" {
		t.Errorf("the cache shares state with callers: %q", second.Roles)
	}

	// Revocation shows once the cache entry ages out, within a minute.
	if err := k.svc.RevokeToken(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(ctx, token); err != nil {
		t.Errorf("cached token: %v", err)
	}
	now = now.Add(keystone.MaxCacheAge)
	if _, err := v.Validate(ctx, token); !errors.Is(err, model.ErrUnauthorized) {
		t.Errorf("revoked token after the cache aged out: %v", err)
	}
	if k.requests.Load() != before+1 {
		t.Errorf("%d requests, want 1", k.requests.Load()-before)
	}
}

func TestValidateUnavailable(t *testing.T) {
	t.Parallel()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error":{"code":500,"title":"Internal Server Error","message":"db down"}}`))
	}))
	t.Cleanup(failing.Close)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	for name, url := range map[string]string{"500": failing.URL, "unreachable": down.URL} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := keystone.New(url, nil).Validate(t.Context(), "some-token")
			if !errors.Is(err, keystone.ErrUnavailable) {
				t.Errorf("error = %v, want keystone.ErrUnavailable", err)
			}
			if errors.Is(err, model.ErrUnauthorized) {
				t.Errorf("an unavailable Keystone reads as a bad token: %v", err)
			}
		})
	}
}

func TestValidateExpandsImpliedRoles(t *testing.T) {
	t.Parallel()
	// A Keystone whose token lists only the role assigned, as one without
	// implied-role rules does.
	exp := time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z")
	ks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/identity/v3/auth/tokens" || r.Header.Get("X-Auth-Token") != "tok" || r.Header.Get("X-Subject-Token") != "tok" {
			http.Error(w, `{"error":{"code":404}}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"token":{"methods":["application_credential"],"expires_at":"` + exp + `","issued_at":"` + exp + `",
			"user":{"id":"u1","name":"bob","domain":{"id":"default","name":"Default"}},
			"project":{"id":"p1","name":"demo","domain":{"id":"default","name":"Default"}},
			"roles":[{"id":"r1","name":"member"}],"application_credential":{"id":"ac1","name":"ci","restricted":true},
			"audit_ids":["x"]}}`))
	}))
	t.Cleanup(ks.Close)
	creds, err := keystone.New(ks.URL+"/identity", nil).Validate(t.Context(), "tok")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(creds.Roles, []string{"member", "reader"}) || creds.IsAdmin() || creds.AppCredID != "ac1" || creds.ProjectID != "p1" {
		t.Errorf("credentials = %+v", creds)
	}
}
