package magnum

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/driver"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/provider"
	"github.com/slipway/slipway/internal/store"
)

// Enqueuer hands cluster work to the conductors.
type Enqueuer interface {
	EnqueueCluster(ctx context.Context, clusterID string) error
}

// Projects resolves identity projects, for quotas.
type Projects interface {
	GetProject(ctx context.Context, idOrName string) (*model.Project, error)
}

// Deps are what the API works with. cmd/ picks the implementations.
type Deps struct {
	Store     store.Store
	Validator api.TokenValidator
	Catalog   provider.Catalog
	Drivers   driver.Registry
	Queue     Enqueuer
	Projects  Projects
}

// Options configure the API.
type Options struct {
	// Prefix is the path the API is mounted at, e.g. "/container-infra".
	Prefix string
	// AuthURI is the identity endpoint named in 401 responses.
	AuthURI string
	// ConductorHost names the host in the synthesized mservices record.
	ConductorHost string
	Log           *slog.Logger
	Now           func() time.Time
}

// Server is the Magnum API.
type Server struct {
	deps    Deps
	opts    Options
	mux     *http.ServeMux
	started time.Time
	// lists caches list answers.
	lists *listCache
}

// New returns the Magnum API handler. It serves paths under opts.Prefix.
func New(deps Deps, opts Options) *Server {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{deps: deps, opts: opts, mux: http.NewServeMux(), lists: newListCache(listCacheBytes)}
	s.started = opts.Now()
	s.routes()
	return s
}

// handlerFunc is a route that may fail; failures become Magnum error bodies.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(pattern string, h handlerFunc, opts ...routeOpt) {
	ro := routeOptions{minVersion: 1}
	for _, o := range opts {
		o(&ro)
	}
	var inner http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := versionFrom(r.Context()); v < ro.minVersion {
			api.WriteMagnumError(w, r, model.NotAcceptablef(
				"Version 1.%d was requested but the requested API is not supported for this version.", v))
			return
		}
		if err := h(w, r); err != nil {
			api.WriteMagnumError(w, r, err)
		}
	})
	if !ro.public {
		inner = api.Authenticate(s.deps.Validator, s.opts.AuthURI, inner)
	}
	s.mux.Handle(pattern, api.Route(pattern, inner))
}

type routeOptions struct {
	minVersion int
	public     bool
}

type routeOpt func(*routeOptions)

// since gates a route on a minimum microversion (1.minor).
func since(minor int) routeOpt { return func(o *routeOptions) { o.minVersion = minor } }

func public(o *routeOptions) { o.public = true }

func (s *Server) routes() {
	s.handle("GET /{$}", s.rootDocument, public)
	s.handle("GET /v1", s.v1Document, public)

	s.handle("GET /v1/clustertemplates", s.listTemplates)
	s.handle("GET /v1/clustertemplates/detail", s.listTemplates)
	s.handle("GET /v1/clustertemplates/{ident}", s.getTemplate)
	s.handle("POST /v1/clustertemplates", s.createTemplate)
	s.handle("PATCH /v1/clustertemplates/{ident}", s.updateTemplate)
	s.handle("DELETE /v1/clustertemplates/{ident}", s.deleteTemplate)

	s.handle("GET /v1/clusters", s.listClusters)
	s.handle("GET /v1/clusters/detail", s.listClustersDetail)
	s.handle("GET /v1/clusters/{ident}", s.getCluster)
	s.handle("POST /v1/clusters", s.createCluster)
	s.handle("PATCH /v1/clusters/{ident}", s.updateCluster)
	s.handle("DELETE /v1/clusters/{ident}", s.deleteCluster)
	s.handle("POST /v1/clusters/{ident}/actions/resize", s.resizeCluster, since(7))
	s.handle("POST /v1/clusters/{ident}/actions/upgrade", s.upgradeCluster, since(7))

	s.handle("GET /v1/clusters/{ident}/nodegroups", s.listNodeGroups, since(9))
	s.handle("GET /v1/clusters/{ident}/nodegroups/{ng}", s.getNodeGroup, since(9))
	s.handle("POST /v1/clusters/{ident}/nodegroups", s.createNodeGroup, since(9))
	s.handle("PATCH /v1/clusters/{ident}/nodegroups/{ng}", s.updateNodeGroup, since(9))
	s.handle("DELETE /v1/clusters/{ident}/nodegroups/{ng}", s.deleteNodeGroup, since(9))

	s.handle("GET /v1/certificates/{ident}", s.getCA)
	s.handle("POST /v1/certificates", s.signCSR)
	s.handle("PATCH /v1/certificates/{ident}", s.rotateCA)

	s.handle("PATCH /v1/credentials/{ident}", s.rotateCredential, since(12))

	s.handle("GET /v1/quotas", s.listQuotas)
	s.handle("GET /v1/quotas/{project}/{resource}", s.getQuota)
	s.handle("POST /v1/quotas", s.createQuota)
	s.handle("PATCH /v1/quotas/{project}/{resource}", s.updateQuota)
	s.handle("DELETE /v1/quotas/{project}/{resource}", s.deleteQuota)

	s.handle("GET /v1/stats", s.getStats)
	s.handle("GET /v1/mservices", s.listMServices)
}

// ServeHTTP normalizes the path as Magnum's router does (trailing slashes
// tolerated, unversioned paths aliased to v1), negotiates the microversion
// and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, s.opts.Prefix)
	p = strings.TrimSuffix(p, ".json")
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	if p == "" {
		p = "/"
	}
	if p != "/" && p != "/v1" && !strings.HasPrefix(p, "/v1/") {
		p = "/v1" + p
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = p
	r2.URL.RawPath = ""
	if p != "/" {
		v, err := negotiate(w, r)
		if err != nil {
			api.WriteMagnumError(w, r, err)
			return
		}
		r2 = r2.WithContext(withVersion(r2.Context(), v))
	}
	s.mux.ServeHTTP(w, r2)
}

// baseURL is the absolute URL of the API root, from the request as a proxy
// forwarded it.
func (s *Server) baseURL(r *http.Request) string { return api.BaseURL(r) + s.opts.Prefix }

func (s *Server) links(r *http.Request, collection, id string) []v1Link {
	base := s.baseURL(r)
	return []v1Link{
		{Href: base + "/v1/" + collection + "/" + id, Rel: "self"},
		{Href: base + "/" + collection + "/" + id, Rel: "bookmark"},
	}
}
