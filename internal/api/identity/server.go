package identity

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/identity"
	"github.com/slipway/slipway/internal/model"
	v3 "github.com/slipway/slipway/pkg/apis/identity/v3"
)

// maxBody caps request bodies.
const maxBody = 1 << 20

// Options configure the identity API.
type Options struct {
	// BaseURL is the absolute URL of the identity endpoint root, e.g.
	// http://127.0.0.1:5000/identity, used in links and version documents.
	// Empty means http://<request host>, for an API mounted at the root.
	BaseURL string
	// Log receives operator logs; nil means slog.Default().
	Log *slog.Logger
}

// server is the identity API.
type server struct {
	svc  *identity.Service
	opts Options
	mux  *http.ServeMux
}

// New returns the Keystone-compatible Identity v3 API over svc. It serves
// "/", "/v3" and the paths below "/v3"; mount it with http.StripPrefix.
func New(svc *identity.Service, opts Options) http.Handler {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	s := &server{svc: svc, opts: opts, mux: http.NewServeMux()}
	s.routes()
	return s
}

// handlerFunc is a route that may fail; failures become Keystone error
// bodies.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers h under pattern. Unless public, the route requires a
// valid X-Auth-Token.
func (s *server) handle(pattern string, h handlerFunc, public bool) {
	var inner http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
	if !public {
		inner = api.Authenticate(s.svc, s.opts.BaseURL+"/v3", inner)
	}
	s.mux.Handle(pattern, api.Route(pattern, inner))
}

func (s *server) routes() {
	const public = true
	s.handle("GET /{$}", s.versions, public)
	s.handle("GET /v3", s.version, public)
	s.handle("POST /v3/auth/tokens", s.issueToken, public)

	s.handle("GET /v3/auth/tokens", s.validateToken, !public)
	s.handle("DELETE /v3/auth/tokens", s.revokeToken, !public)
	s.handle("GET /v3/auth/projects", s.authProjects, !public)
	s.handle("GET /v3/auth/domains", s.authDomains, !public)
	s.handle("GET /v3/auth/catalog", s.authCatalog, !public)

	s.handle("GET /v3/projects", s.listProjects, !public)
	s.handle("POST /v3/projects", s.createProject, !public)
	s.handle("GET /v3/projects/{id}", s.getProject, !public)
	s.handle("PATCH /v3/projects/{id}", s.updateProject, !public)
	s.handle("DELETE /v3/projects/{id}", s.deleteProject, !public)

	s.handle("GET /v3/users", s.listUsers, !public)
	s.handle("POST /v3/users", s.createUser, !public)
	s.handle("GET /v3/users/{id}", s.getUser, !public)
	s.handle("PATCH /v3/users/{id}", s.updateUser, !public)
	s.handle("DELETE /v3/users/{id}", s.deleteUser, !public)
	s.handle("GET /v3/users/{id}/projects", s.userProjects, !public)
	s.handle("POST /v3/users/{id}/password", s.changePassword, !public)

	s.handle("GET /v3/roles", s.listRoles, !public)
	s.handle("POST /v3/roles", s.createRole, !public)
	s.handle("GET /v3/roles/{id}", s.getRole, !public)
	s.handle("PATCH /v3/roles/{id}", s.updateRole, !public)
	s.handle("DELETE /v3/roles/{id}", s.deleteRole, !public)

	s.handle("GET /v3/domains", s.listDomains, !public)
	s.handle("GET /v3/domains/{id}", s.getDomain, !public)

	s.handle("GET /v3/projects/{p}/users/{u}/roles", s.listGrants, !public)
	s.handle("PUT /v3/projects/{p}/users/{u}/roles/{r}", s.grant, !public)
	s.handle("GET /v3/projects/{p}/users/{u}/roles/{r}", s.checkGrant, !public)
	s.handle("DELETE /v3/projects/{p}/users/{u}/roles/{r}", s.revokeGrant, !public)
	s.handle("GET /v3/role_assignments", s.listAssignments, !public)

	s.handle("GET /v3/users/{id}/application_credentials", s.listAppCreds, !public)
	s.handle("POST /v3/users/{id}/application_credentials", s.createAppCred, !public)
	s.handle("GET /v3/users/{id}/application_credentials/{ac}", s.getAppCred, !public)
	s.handle("DELETE /v3/users/{id}/application_credentials/{ac}", s.deleteAppCred, !public)

	s.handle("/", s.notFound, public)
}

// ServeHTTP sets the request id, tolerates trailing slashes as Keystone
// does, and dispatches.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if w.Header().Get(api.RequestIDHeader) == "" {
		w.Header().Set(api.RequestIDHeader, "req-"+uuid.NewString())
	}
	w.Header().Add("Vary", v3.HeaderAuthToken)
	if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.TrimRight(p, "/")
		if r2.URL.Path == "" {
			r2.URL.Path = "/"
		}
		r2.URL.RawPath = ""
		r = r2
	}
	s.mux.ServeHTTP(w, r)
}

// baseURL is the absolute URL of the identity root.
func (s *server) baseURL(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return s.opts.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// writeError writes err as Keystone does, with the WWW-Authenticate
// header on 401s.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if status, _ := api.Status(err); status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Keystone uri="`+s.baseURL(r)+`/v3"`)
	}
	api.WriteKeystoneError(w, r, err)
}

func (s *server) notFound(http.ResponseWriter, *http.Request) error {
	return model.NotFoundf("The resource could not be found.")
}

// decode reads a JSON request body into dst.
func decode(r *http.Request, dst any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return model.Invalidf("The request body could not be read: %v.", err)
	}
	if len(b) > maxBody {
		return model.Invalidf("The request body is larger than %d bytes.", maxBody)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return model.Invalidf("Invalid input for field '%s': expected %s.", te.Field, te.Type)
		}
		return model.Invalidf("The request body is not valid JSON: %v.", err)
	}
	return nil
}

// caller returns the authenticated caller's credentials.
func caller(r *http.Request) *identity.Credentials {
	if c := api.Credentials(r.Context()); c != nil {
		return c
	}
	return &identity.Credentials{}
}

// requireAdmin allows only admin-role tokens.
func requireAdmin(r *http.Request, action string) error {
	if caller(r).IsAdmin() {
		return nil
	}
	return model.Forbiddenf("You are not authorized to perform the requested action: %s.", action)
}

// requireSelfOrAdmin allows admin-role tokens and the user userID.
func requireSelfOrAdmin(r *http.Request, userID, action string) error {
	c := caller(r)
	if c.IsAdmin() || (c.UserID != "" && c.UserID == userID) {
		return nil
	}
	return model.Forbiddenf("You are not authorized to perform the requested action: %s.", action)
}

// collectionLinks are the links of an unpaginated list.
func (s *server) collectionLinks(r *http.Request) v3.CollectionLinks {
	return v3.CollectionLinks{Self: s.baseURL(r) + r.URL.Path}
}

// boolQuery reports whether a query parameter is present and not false,
// as Keystone reads flags such as include_names and nocatalog.
func boolQuery(r *http.Request, name string) bool {
	q := r.URL.Query()
	if !q.Has(name) {
		return false
	}
	switch strings.ToLower(q.Get(name)) {
	case "0", "false", "no", "off":
		return false
	}
	return true
}

// isDefaultDomain reports whether a domain id or name in a request names
// the default domain; an empty one does.
func isDefaultDomain(id string) bool {
	return id == "" || strings.EqualFold(id, model.DefaultDomainID)
}
