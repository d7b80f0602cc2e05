package clienttest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
	"github.com/slipway/slipway/pkg/client"
)

// Credentials the fake identity service accepts.
const (
	Username    = "admin"
	Password    = "secret"
	ProjectName = "admin"
	ProjectID   = "0c4e939acacf4376bdcd1129f1a054ad"
	AppCredID   = "appcred-id"
	AppCredSec  = "appcred-secret"
	// RequestID is the X-OpenStack-Request-Id that WriteError sets.
	RequestID = "req-5bd1d5b2-0f4c-4d3e-9e2c-7f3a3c1b9a10"
)

// MagnumPrefix is the path of the fake Magnum endpoint on the server.
const MagnumPrefix = "/container-infra/v1"

// OrchestrationPrefix is the path of the fake orchestration endpoint, with
// the project's id, as the catalog lists it.
const OrchestrationPrefix = "/orchestration/v1/" + ProjectID

// Request is one request the fake Magnum endpoint received.
type Request struct {
	Method string
	// Path is the escaped path below the /v1 endpoint.
	Path   string
	Query  string
	Header http.Header
	Body   string
}

// String returns the method, escaped path and query, such as
// "GET /clusters?limit=2".
func (r Request) String() string {
	if r.Query == "" {
		return r.Method + " " + r.Path
	}
	return r.Method + " " + r.Path + "?" + r.Query
}

// Server is a fake identity v3 token endpoint plus a Magnum endpoint and an
// orchestration endpoint whose routes the test registers with Handle and
// HandleOrchestration. Their requests need a token the identity endpoint
// issued.
type Server struct {
	*httptest.Server

	mux *http.ServeMux

	mu       sync.Mutex
	handlers map[string]http.HandlerFunc
	tokens   map[string]bool
	issued   int
	auths    []string
	requests []Request
}

// NewServer starts a Server that is closed when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{mux: http.NewServeMux(), handlers: map[string]http.HandlerFunc{}, tokens: map[string]bool{}}
	root := http.NewServeMux()
	root.HandleFunc("POST /identity/v3/auth/tokens", s.issueToken)
	root.Handle(MagnumPrefix+"/", s.checked(MagnumPrefix, s.mux))
	root.Handle(OrchestrationPrefix+"/", s.checked(OrchestrationPrefix, s.mux))
	s.Server = httptest.NewServer(root)
	t.Cleanup(s.Close)
	return s
}

// AuthURL is the fake identity endpoint.
func (s *Server) AuthURL() string { return s.URL + "/identity/v3" }

// Config returns password credentials the server accepts.
func (s *Server) Config() *client.Config {
	return &client.Config{
		AuthURL:     s.AuthURL(),
		Username:    Username,
		Password:    Password,
		ProjectName: ProjectName,
	}
}

// Handle registers a Magnum route. pattern is an http.ServeMux pattern whose
// path is relative to the /v1 endpoint, such as "GET /clusters/{id}". A
// later Handle of the same pattern replaces the handler.
func (s *Server) Handle(pattern string, h http.HandlerFunc) { s.handle(MagnumPrefix, pattern, h) }

// HandleOrchestration registers an orchestration route, its path relative
// to the project's endpoint, such as "GET /servers/{id}/log". Requests to
// it are recorded with that relative path too.
func (s *Server) HandleOrchestration(pattern string, h http.HandlerFunc) {
	s.handle(OrchestrationPrefix, pattern, h)
}

func (s *Server) handle(prefix, pattern string, h http.HandlerFunc) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "", pattern
	}
	full := prefix + path
	if method != "" {
		full = method + " " + full
	}
	s.mu.Lock()
	_, exists := s.handlers[full]
	s.handlers[full] = h
	s.mu.Unlock()
	if exists {
		return
	}
	s.mux.HandleFunc(full, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		current := s.handlers[full]
		s.mu.Unlock()
		current(w, r)
	})
}

// ExpireTokens revokes every issued token, so that the next Magnum call gets
// a 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// Auths returns the authentication methods of every token request so far.
func (s *Server) Auths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auths...)
}

// Requests returns the Magnum and orchestration requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// LastRequest returns the last Magnum request received, or a zero Request
// if there was none.
func (s *Server) LastRequest() Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return Request{}
	}
	return s.requests[len(s.requests)-1]
}

func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Auth struct {
			Identity struct {
				Methods  []string `json:"methods"`
				Password struct {
					User struct {
						Name     string `json:"name"`
						Password string `json:"password"`
					} `json:"user"`
				} `json:"password"`
				ApplicationCredential struct {
					ID     string `json:"id"`
					Secret string `json:"secret"`
				} `json:"application_credential"`
				Token struct {
					ID string `json:"id"`
				} `json:"token"`
			} `json:"identity"`
			Scope *struct {
				Project struct {
					Name string `json:"name"`
				} `json:"project"`
			} `json:"scope"`
		} `json:"auth"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Auth.Identity.Methods) != 1 {
		writeKeystoneError(w, http.StatusBadRequest, "Expecting to find identity in auth.")
		return
	}
	id := req.Auth.Identity
	var ok bool
	switch id.Methods[0] {
	case "password":
		ok = id.Password.User.Name == Username && id.Password.User.Password == Password &&
			req.Auth.Scope != nil && req.Auth.Scope.Project.Name == ProjectName
	case "application_credential":
		ok = id.ApplicationCredential.ID == AppCredID && id.ApplicationCredential.Secret == AppCredSec
	case "token":
		s.mu.Lock()
		ok = s.tokens[id.Token.ID]
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.auths = append(s.auths, id.Methods[0])
	if !ok {
		s.mu.Unlock()
		writeKeystoneError(w, http.StatusUnauthorized, "The request you have made requires authentication.")
		return
	}
	s.issued++
	token := "tok-" + strconv.Itoa(s.issued)
	s.tokens[token] = true
	s.mu.Unlock()

	endpoint := func(url string) []map[string]string {
		return []map[string]string{
			{"interface": "internal", "url": "http://internal.invalid/v1", "region": "RegionOne", "region_id": "RegionOne"},
			{"interface": "public", "url": url, "region": "RegionOne", "region_id": "RegionOne"},
		}
	}
	body := map[string]any{"token": map[string]any{
		"methods":    id.Methods,
		"expires_at": "2099-01-01T00:00:00.000000Z",
		"project":    map[string]any{"id": ProjectID, "name": ProjectName, "domain": map[string]string{"id": "default", "name": "Default"}},
		"user":       map[string]any{"id": "u-1", "name": Username},
		"roles":      []map[string]string{{"name": "admin"}, {"name": "member"}, {"name": "reader"}},
		"catalog": []map[string]any{
			{"type": "identity", "name": "keystone", "endpoints": endpoint(s.URL + "/identity/v3")},
			{"type": v1.ServiceType, "name": "magnum", "endpoints": endpoint(s.URL + MagnumPrefix)},
			{"type": "orchestration", "name": "heat", "endpoints": endpoint(s.URL + OrchestrationPrefix)},
		},
	}}
	w.Header().Set("X-Subject-Token", token)
	WriteJSON(w, http.StatusCreated, body)
}

// checked checks the token and records the request, its path relative to
// prefix.
func (s *Server) checked(prefix string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		s.mu.Lock()
		valid := s.tokens[r.Header.Get("X-Auth-Token")]
		s.requests = append(s.requests, Request{
			Method: r.Method,
			Path:   strings.TrimPrefix(r.URL.EscapedPath(), prefix),
			Query:  r.URL.RawQuery,
			Header: r.Header.Clone(),
			Body:   string(body),
		})
		s.mu.Unlock()
		if !valid {
			w.Header().Set("WWW-Authenticate", `Keystone uri="`+s.AuthURL()+`"`)
			writeKeystoneError(w, http.StatusUnauthorized, "The request you have made requires authentication.")
			return
		}
		w.Header().Set("X-OpenStack-Request-Id", RequestID)
		next.ServeHTTP(w, r)
	})
}

// WriteJSON writes v as a JSON response with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError writes a Magnum error body with the given status and detail.
func WriteError(w http.ResponseWriter, status int, detail string) {
	title, _, _ := strings.Cut(detail, ".")
	code := "client"
	if status >= 500 {
		code = "server"
	}
	w.Header().Set("X-OpenStack-Request-Id", RequestID)
	WriteJSON(w, status, v1.ErrorBody{Errors: []v1.Error{{
		Code: code, Status: status, Title: title, Detail: detail, Links: []v1.Link{},
	}}})
}

func writeKeystoneError(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, map[string]any{"error": map[string]any{
		"code": status, "title": http.StatusText(status), "message": msg,
	}})
}
