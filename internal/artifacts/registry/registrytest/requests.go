package registrytest

import (
	"net/http"
	"sync"
)

// Request is one request a Fixture's server received.
type Request struct {
	Method string
	Path   string
	// NS is the ns query parameter containerd adds for mirrors.
	NS string
}

// RequestLog records requests.
type RequestLog struct {
	mu   sync.Mutex
	reqs []Request
}

func (l *RequestLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.reqs = append(l.reqs, Request{Method: r.Method, Path: r.URL.Path, NS: r.URL.Query().Get("ns")})
		l.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// All returns the requests so far.
func (l *RequestLog) All() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Request(nil), l.reqs...)
}
