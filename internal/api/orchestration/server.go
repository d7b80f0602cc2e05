package orchestration

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/engine"
	"github.com/slipway/slipway/internal/provider"
	"github.com/slipway/slipway/internal/store"
)

// Options configure the API.
type Options struct {
	// Prefix is the path the API is mounted at, e.g. "/orchestration".
	Prefix string
	// AuthURI is the identity endpoint named in 401 responses.
	AuthURI string
	Log     *slog.Logger
	// Servers answers the server routes (a server's live state and console
	// log); nil in a process that runs no infrastructure provider.
	Servers provider.Servers
}

// Server is the orchestration API.
type Server struct {
	engine    *engine.Service
	st        store.Store
	validator api.TokenValidator
	opts      Options
	mux       *http.ServeMux
}

// New returns the orchestration API over an engine.
func New(eng *engine.Service, st store.Store, v api.TokenValidator, opts Options) *Server {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	s := &Server{engine: eng, st: st, validator: v, opts: opts, mux: http.NewServeMux()}
	s.routes()
	return s
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(pattern string, h handlerFunc, authenticated bool) {
	var inner http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			api.WriteHeatError(w, r, err)
		}
	})
	if authenticated {
		inner = api.Authenticate(s.validator, s.opts.AuthURI, s.scoped(inner))
	}
	s.mux.Handle(pattern, api.Route(pattern, inner))
}

func (s *Server) routes() {
	s.handle("GET /{$}", s.versions, false)
	s.handle("GET /v1", s.versions, false)

	const stacks = "/v1/{project}/stacks"
	const stack = stacks + "/{name}/{id}"
	s.handle("GET "+stacks, s.listStacks, true)
	s.handle("POST "+stacks, s.createStack, true)
	s.handle("GET "+stacks+"/{name}", s.redirectStack, true)
	for _, sub := range []string{"resources", "events", "outputs", "template"} {
		s.handle("GET "+stacks+"/{name}/"+sub, s.redirectStackSub(sub), true)
	}
	s.handle("DELETE "+stacks+"/{name}", s.deleteStack, true)
	s.handle("PUT "+stacks+"/{name}", s.updateStack, true)
	s.handle("PATCH "+stacks+"/{name}", s.patchStack, true)
	s.handle("GET "+stack, s.showStack, true)
	s.handle("PUT "+stack, s.updateStack, true)
	s.handle("PATCH "+stack, s.patchStack, true)
	s.handle("DELETE "+stack, s.deleteStack, true)
	s.handle("POST "+stack+"/actions", s.stackAction, true)
	s.handle("GET "+stack+"/template", s.showTemplate, true)
	s.handle("GET "+stack+"/outputs", s.listOutputs, true)
	s.handle("GET "+stack+"/outputs/{key}", s.showOutput, true)
	s.handle("GET "+stack+"/resources", s.listResources, true)
	s.handle("GET "+stack+"/resources/{resource}", s.showResource, true)
	s.handle("GET "+stack+"/events", s.listEvents, true)
	s.handle("GET "+stack+"/resources/{resource}/events", s.listEvents, true)
	// Signals authenticate with a Keystone token or the resource's own
	// signal token (what curl_cli sends), so they check credentials here.
	s.handle("POST "+stack+"/resources/{resource}/signal", s.signal, false)
	s.handle("POST /v1/{project}/validate", s.validate, true)
	s.handle("GET /v1/{project}/servers/{server}", s.showServer, true)
	s.handle("GET /v1/{project}/servers/{server}/log", s.serverLog, true)
}

// ServeHTTP strips the prefix and trailing slashes and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, s.opts.Prefix)
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	if p == "" {
		p = "/"
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = p
	r2.URL.RawPath = ""
	s.mux.ServeHTTP(w, r2)
}

// scoped requires the project in the path to be the token's, unless the
// caller is an admin.
func (s *Server) scoped(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := api.Credentials(r.Context())
		if p := r.PathValue("project"); p != "" && c != nil && p != c.ProjectID && !c.IsAdmin() {
			api.WriteHeatError(w, r, model.Forbiddenf("The project %s in the URL is not the project of your token.", p))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) baseURL(r *http.Request) string { return api.BaseURL(r) + s.opts.Prefix }

func (s *Server) stackURL(r *http.Request, st *model.Stack) string {
	return s.baseURL(r) + "/v1/" + url.PathEscape(st.ProjectID) + "/stacks/" + url.PathEscape(st.Name) + "/" + st.UUID
}

func (s *Server) versions(w http.ResponseWriter, r *http.Request) error {
	api.WriteJSON(w, http.StatusOK, map[string]any{"versions": []map[string]any{{
		"id": "v1.0", "status": "CURRENT",
		"links": []map[string]string{{"href": s.baseURL(r) + "/v1/", "rel": "self"}},
	}}})
	return nil
}

// findStack resolves a stack by name or id within the path's project; by
// id a deleted stack still shows (DELETE_COMPLETE), as in Heat.
func (s *Server) findStack(ctx context.Context, project, nameOrID string) (*model.Stack, error) {
	return s.engine.Find(ctx, project, nameOrID)
}

// stackFromPath resolves the {name}/{id} of a path; the id wins and the
// name must match it.
func (s *Server) stackFromPath(r *http.Request) (*model.Stack, error) {
	project := r.PathValue("project")
	id, name := r.PathValue("id"), r.PathValue("name")
	if id == "" {
		return s.findStack(r.Context(), project, name)
	}
	st, err := s.findStack(r.Context(), project, id)
	if err != nil {
		return nil, err
	}
	if st.Name != name && st.UUID != name {
		return nil, model.NotFoundf("The Stack (%s/%s) could not be found.", name, id)
	}
	return st, nil
}

func (s *Server) redirectStack(w http.ResponseWriter, r *http.Request) error {
	st, err := s.stackFromPath(r)
	if err != nil {
		return err
	}
	target := s.stackURL(r, st)
	if q := r.URL.RawQuery; q != "" {
		target += "?" + q
	}
	w.Header().Set("Location", target)
	api.WriteJSON(w, http.StatusFound, map[string]any{"location": target})
	return nil
}

func (s *Server) redirectStackSub(sub string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return s.redirectTo(w, r, sub)
	}
}

func (s *Server) redirectTo(w http.ResponseWriter, r *http.Request, sub string) error {
	st, err := s.findStack(r.Context(), r.PathValue("project"), r.PathValue("name"))
	if err != nil {
		return err
	}
	target := s.stackURL(r, st) + "/" + sub
	if q := r.URL.RawQuery; q != "" {
		target += "?" + q
	}
	w.Header().Set("Location", target)
	api.WriteJSON(w, http.StatusFound, map[string]any{"location": target})
	return nil
}
