package registry

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/distribution/distribution/v3"
	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/api/errcode"
	v2 "github.com/distribution/distribution/v3/registry/api/v2"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/distribution/distribution/v3/registry/storage"
	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	"github.com/gorilla/mux"
	"github.com/sirupsen/logrus"

	"github.com/slipway/slipway/internal/identity"
)

// Prefix is the path the registry API is served under, as the distribution
// spec requires.
const Prefix = "/v2/"

// Realm is the realm of the registry's basic-auth challenge.
const Realm = "Slipway registry"

// Roles the registry checks on a project.
const (
	roleRead  = "reader"
	roleWrite = "member"
)

// Options configures a Registry.
type Options struct {
	// StorageDir is where images are stored, normally DATA_DIR/registry.
	StorageDir string
	// Authenticator checks clients' basic-auth credentials.
	Authenticator Authenticator
	// Log receives operator logs; nil discards them.
	Log *slog.Logger
}

// Registry is an OCI distribution registry: distribution/v3's own
// handlers over filesystem storage, behind Slipway's authentication and
// per-project authorisation. It is an http.Handler for Prefix.
type Registry struct {
	app    *handlers.App
	router *mux.Router
	auth   Authenticator
	log    *slog.Logger
	dir    string

	// gc is held for reading by every request and for writing by
	// GarbageCollect, which must not run while blobs are being written.
	gc sync.RWMutex
}

// New returns a Registry storing its data under opts.StorageDir.
//
// distribution logs through logrus' standard logger, a process-wide
// setting; New silences it, and the Registry logs requests itself.
func New(opts Options) (*Registry, error) {
	if opts.StorageDir == "" || opts.Authenticator == nil {
		return nil, errors.New("registry: StorageDir and Authenticator are required")
	}
	dir, err := filepath.Abs(opts.StorageDir)
	if err != nil {
		return nil, fmt.Errorf("registry storage %s: %w", opts.StorageDir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create registry storage %s: %w", dir, err)
	}
	secret, err := loadOrCreateSecret(filepath.Join(dir, "http.secret"))
	if err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	logrus.SetOutput(io.Discard)
	logrus.SetLevel(logrus.PanicLevel)

	cfg := &configuration.Configuration{
		Storage: configuration.Storage{
			"filesystem":  configuration.Parameters{"rootdirectory": dir},
			"delete":      configuration.Parameters{"enabled": true},
			"redirect":    configuration.Parameters{"disable": true},
			"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}},
		},
	}
	cfg.HTTP.Secret = secret
	cfg.Log.AccessLog.Disabled = true
	app, err := newApp(cfg)
	if err != nil {
		return nil, err
	}
	return &Registry{
		app:    app,
		router: v2.Router(),
		auth:   newAuthCache(opts.Authenticator),
		log:    log,
		dir:    dir,
	}, nil
}

// newApp builds distribution's App, which panics on a bad configuration.
func newApp(cfg *configuration.Configuration) (app *handlers.App, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("start registry: %v", r)
		}
	}()
	return handlers.NewApp(context.Background(), cfg), nil
}

// loadOrCreateSecret returns the upload-state secret kept at path, so that
// uploads survive a restart.
func loadOrCreateSecret(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(data))) > 0 {
		return strings.TrimSpace(string(data)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read registry secret: %w", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	s := base64.RawURLEncoding.EncodeToString(b)
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write registry secret: %w", err)
	}
	return s, nil
}

// Close stops the registry's background work.
func (r *Registry) Close() error {
	return r.app.Shutdown()
}

// access is what a request needs on its repository.
type access int

const (
	accessPull access = iota
	accessPush
	accessDelete
)

func accessFor(method string) access {
	switch method {
	case http.MethodGet, http.MethodHead:
		return accessPull
	case http.MethodDelete:
		return accessDelete
	}
	return accessPush
}

// ServeHTTP authenticates and authorises a request, then hands it to the
// distribution handlers.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	user := r.serve(sw, req)
	level := slog.LevelDebug
	if sw.status >= 500 {
		level = slog.LevelWarn
	}
	r.log.Log(req.Context(), level, "registry request", "method", req.Method, "path", req.URL.Path,
		"ns", req.URL.Query().Get("ns"), "status", sw.status, "user", user, "bytes", sw.bytes, "duration", time.Since(start))
}

// serve handles req and returns the user it was made as, if any.
func (r *Registry) serve(w http.ResponseWriter, req *http.Request) string {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		r.mirror(req)
	}
	username, password, hasAuth := req.BasicAuth()
	challenge := func(err error) string {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", Realm))
		writeError(w, errcode.ErrorCodeUnauthorized.WithDetail(errMessage(err)))
		return username
	}
	// authenticate checks the credentials for project ("" for the user's
	// default); nil credentials with a nil error mean anonymous.
	authenticate := func(project string) (*identity.Credentials, error) {
		if !hasAuth {
			return nil, nil
		}
		return r.auth.AuthenticateBasic(req.Context(), username, password, project)
	}

	if req.URL.Path == GCPath {
		r.serveGC(w, req, authenticate, challenge)
		return username
	}
	var match mux.RouteMatch
	if !r.router.Match(req, &match) || match.Route == nil {
		http.NotFound(w, req)
		return username
	}
	route, repo := match.Route.GetName(), match.Vars["name"]

	switch route {
	case v2.RouteNameBase, v2.RouteNameCatalog:
		creds, err := authenticate("")
		if err == nil && creds == nil {
			return challenge(errors.New("authentication required"))
		}
		if err != nil && !errors.Is(err, ErrNoAccess) {
			return r.authFailed(w, username, err, challenge)
		}
		if route == v2.RouteNameCatalog {
			r.catalog(w, req, creds)
			return username
		}
		r.forward(w, req)
		return username
	}

	want := accessFor(req.Method)
	if err := r.authorize(req, repo, want, authenticate); err != nil {
		return r.authFailed(w, username, err, challenge)
	}
	if from := req.URL.Query().Get("from"); from != "" && req.Method == http.MethodPost {
		// Mounting a blob from another repository reads that repository.
		if err := r.authorize(req, from, accessPull, authenticate); err != nil {
			return r.authFailed(w, username, err, challenge)
		}
	}
	r.forward(w, req)
	return username
}

// GCPath is where an admin asks for a garbage collection: POST, with
// ?untagged=true to also remove manifests that no tag references. The
// answer is a GCResult in JSON. Names starting with "_" are not repository
// names, so it cannot clash with one.
const GCPath = Prefix + "_slipway/gc"

// serveGC runs GarbageCollect for an admin of the admin project.
func (r *Registry) serveGC(w http.ResponseWriter, req *http.Request, authenticate func(string) (*identity.Credentials, error), challenge func(error) string) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, errcode.ErrorCodeUnsupported)
		return
	}
	creds, err := authenticate(identity.AdminProjectName)
	switch {
	case err == nil && creds == nil:
		err = errAnonymous
	case err == nil && !creds.IsAdmin(), errors.Is(err, ErrNoAccess):
		err = errNotAdmin
	}
	if err != nil {
		r.authFailed(w, "", err, challenge)
		return
	}
	res, err := r.GarbageCollect(req.Context(), req.URL.Query().Get("untagged") == "true")
	if err != nil {
		r.log.Warn("registry garbage collection failed", "err", err)
		writeError(w, errcode.ErrorCodeUnknown.WithMessage("garbage collection failed"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
}

// errAnonymous is an anonymous request for something that needs a user.
var errAnonymous = errors.New("authentication required")

// errNotAdmin is a write to a public repository by a non-admin.
var errNotAdmin = errors.New("only admins may do this")

// authorize checks that the request's credentials allow want on repo.
func (r *Registry) authorize(req *http.Request, repo string, want access, authenticate func(string) (*identity.Credentials, error)) error {
	kind, project := classify(repo)
	if kind == nsPublic {
		if want == accessPull {
			// Everyone reads public repositories, but credentials that are
			// sent must be good.
			_, err := authenticate("")
			if errors.Is(err, ErrNoAccess) {
				return nil
			}
			return err
		}
		creds, err := authenticate(identity.AdminProjectName)
		if err != nil {
			if errors.Is(err, ErrNoAccess) {
				return fmt.Errorf("%s: %w", repo, errNotAdmin)
			}
			return err
		}
		if creds == nil {
			return errAnonymous
		}
		if !creds.IsAdmin() {
			return fmt.Errorf("%s: %w", repo, errNotAdmin)
		}
		return nil
	}
	creds, err := authenticate(project)
	if err != nil {
		return err
	}
	if creds == nil {
		return errAnonymous
	}
	role := roleRead
	if want != accessPull {
		role = roleWrite
	}
	if creds.ProjectName != project || !creds.HasRole(role) {
		return fmt.Errorf("%s needs the %s role on project %s: %w", repo, role, project, ErrNoAccess)
	}
	return nil
}

// authFailed answers a request that failed authentication or
// authorisation, as the distribution spec says: 401 with a challenge when
// credentials are missing or wrong, 403 DENIED when they are not enough.
func (r *Registry) authFailed(w http.ResponseWriter, username string, err error, challenge func(error) string) string {
	switch {
	case errors.Is(err, errAnonymous), errors.Is(err, ErrBadCredentials):
		return challenge(err)
	case errors.Is(err, ErrNoAccess), errors.Is(err, errNotAdmin):
		writeError(w, errcode.ErrorCodeDenied.WithDetail(errMessage(err)))
		return username
	}
	r.log.Warn("registry authentication failed", "user", username, "err", err)
	writeError(w, errcode.ErrorCodeUnknown.WithMessage("authentication unavailable"))
	return username
}

// mirror rewrites a request that containerd sends to a mirror, which
// carries the upstream registry in ?ns=, to the repository that holds that
// registry's images (see Repository).
func (r *Registry) mirror(req *http.Request) {
	ns := req.URL.Query().Get("ns")
	if ns == "" || ns == req.Host {
		return
	}
	var match mux.RouteMatch
	if !r.router.Match(req, &match) || match.Route == nil {
		return
	}
	name := match.Vars["name"]
	if name == "" {
		return
	}
	rest, ok := strings.CutPrefix(req.URL.Path, Prefix+name+"/")
	if !ok {
		return
	}
	req.URL.Path = Prefix + Repository(ns, name) + "/" + rest
	req.URL.RawPath = ""
}

// forward hands the request to distribution.
func (r *Registry) forward(w http.ResponseWriter, req *http.Request) {
	r.gc.RLock()
	defer r.gc.RUnlock()
	r.app.ServeHTTP(w, req)
}

// catalog lists the repositories creds may read: the public ones and their
// project's, or all of them for an admin. It is not paginated.
func (r *Registry) catalog(w http.ResponseWriter, req *http.Request, creds *identity.Credentials) {
	all, err := r.Repositories(req.Context())
	if err != nil {
		r.log.Warn("registry catalog", "err", err)
		writeError(w, errcode.ErrorCodeUnknown.WithMessage("cannot list repositories"))
		return
	}
	out := []string{}
	for _, repo := range all {
		kind, project := classify(repo)
		if kind == nsPublic || (creds != nil && (creds.IsAdmin() || creds.ProjectName == project)) {
			out = append(out, repo)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string][]string{"repositories": out})
}

// Repositories returns the name of every repository, in order.
func (r *Registry) Repositories(ctx context.Context) ([]string, error) {
	ns, err := r.namespace(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	enum, ok := ns.Namespace.(distribution.RepositoryEnumerator)
	if !ok {
		return nil, errors.New("list repositories: storage cannot enumerate")
	}
	err = enum.Enumerate(ctx, func(name string) error {
		out = append(out, name)
		return nil
	})
	if err != nil && !isPathNotFound(err) {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	return out, nil
}

// namespace opens the storage directly, for listing and garbage
// collection.
func (r *Registry) namespace(ctx context.Context) (storageNamespace, error) {
	d := filesystem.New(filesystem.DriverParameters{RootDirectory: r.dir, MaxThreads: 100})
	ns, err := storage.NewRegistry(ctx, d, storage.EnableDelete)
	if err != nil {
		return storageNamespace{}, fmt.Errorf("open registry storage: %w", err)
	}
	return storageNamespace{Namespace: ns, driver: d}, nil
}

// storageNamespace is the storage with the driver under it.
type storageNamespace struct {
	distribution.Namespace
	driver storagedriver.StorageDriver
}

// isPathNotFound reports whether err is the storage saying that a path,
// such as the repositories directory of an empty registry, does not exist.
func isPathNotFound(err error) bool {
	var e storagedriver.PathNotFoundError
	return errors.As(err, &e)
}

// GCResult tells what a garbage collection freed.
type GCResult struct {
	// BytesBefore and BytesAfter are the storage's size around the run.
	BytesBefore int64 `json:"bytes_before"`
	BytesAfter  int64 `json:"bytes_after"`
}

// GarbageCollect deletes the blobs no manifest references, and with
// removeUntagged also the manifests no tag references. Requests wait while
// it runs.
func (r *Registry) GarbageCollect(ctx context.Context, removeUntagged bool) (*GCResult, error) {
	r.gc.Lock()
	defer r.gc.Unlock()
	res := &GCResult{BytesBefore: diskUsage(r.dir)}
	ns, err := r.namespace(ctx)
	if err != nil {
		return nil, err
	}
	err = storage.MarkAndSweep(ctx, ns.driver, ns.Namespace, storage.GCOpts{RemoveUntagged: removeUntagged, Quiet: true})
	if err != nil && !isPathNotFound(err) {
		return nil, fmt.Errorf("registry garbage collection: %w", err)
	}
	res.BytesAfter = diskUsage(r.dir)
	r.log.Info("registry garbage collection", "bytes_before", res.BytesBefore, "bytes_after", res.BytesAfter)
	return res, nil
}

// writeError writes a distribution-spec error body with its status code.
func writeError(w http.ResponseWriter, err error) {
	_ = errcode.ServeJSON(w, err)
}

// errMessage is the detail a client sees for err.
func errMessage(err error) string {
	return err.Error()
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(p)
	s.bytes += int64(n)
	return n, err
}

// Flush lets streaming responses through.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the original writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// diskUsage returns the total size of the regular files under dir.
func diskUsage(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
