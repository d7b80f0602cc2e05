package api

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
)

// RequestIDHeader carries the request id on every response.
const RequestIDHeader = "X-OpenStack-Request-Id"

// Metrics are the HTTP metrics every API records.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics creates the HTTP metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "slipway_http_requests_total",
			Help: "HTTP requests served, by API, route, method and status code.",
		}, []string{"api", "route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "slipway_http_request_duration_seconds",
			Help:    "HTTP request latency, by API, route and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"api", "route", "method"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Instrument wraps an API's handler with a request id, panic recovery,
// structured access logs and metrics. api names the API in logs and metrics.
func Instrument(api string, log *slog.Logger, m *Metrics, writeErr ErrorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := "req-" + uuid.NewString()
		w.Header().Set(RequestIDHeader, id)
		rt := &route{}
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		ctx = context.WithValue(ctx, routeKey, rt)
		ctx = context.WithValue(ctx, loggerKey, log)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				log.ErrorContext(ctx, "panic serving request", "request_id", id, "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					writeErr(sw, r.WithContext(ctx), errInternal)
				}
			}
			pattern := rt.pattern
			if pattern == "" {
				pattern = "unmatched"
			}
			elapsed := time.Since(start)
			m.requests.WithLabelValues(api, pattern, r.Method, strconv.Itoa(sw.status)).Inc()
			m.duration.WithLabelValues(api, pattern, r.Method).Observe(elapsed.Seconds())
			level := slog.LevelDebug
			if sw.status >= 500 {
				level = slog.LevelError
			}
			log.Log(ctx, level, "request", "api", api, "method", r.Method, "path", r.URL.Path,
				"status", sw.status, "bytes", sw.bytes, "duration", elapsed, "request_id", id,
				"project", projectOf(ctx))
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

func projectOf(ctx context.Context) string {
	if c := Credentials(ctx); c != nil {
		return c.ProjectID
	}
	return ""
}

// Route wraps a handler registered under pattern so that metrics and logs
// name the route rather than the raw path.
func Route(pattern string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt := routeFrom(r.Context()); rt != nil {
			rt.pattern = pattern
		}
		h.ServeHTTP(w, r)
	})
}

// BaseURL returns the scheme and host a client used to reach r, taking a
// proxy's X-Forwarded-Proto and X-Forwarded-Host into account; APIs append
// their prefix to build absolute links.
func BaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		scheme = p
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" {
		host = h
	}
	return scheme + "://" + host
}
