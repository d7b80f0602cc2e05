package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/slipway/slipway/internal/identity/keystone"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/pki"
	"github.com/slipway/slipway/internal/store"
)

var errInternal = errors.New("internal error")

// ErrorFormat is the shape of an API's error bodies.
type ErrorFormat int

// The error body formats.
const (
	// FormatMagnum is {"errors":[{request_id, code, status, title, detail, links}]}.
	FormatMagnum ErrorFormat = iota
	// FormatKeystone is {"error":{code, title, message}}.
	FormatKeystone
)

// errorTable maps domain errors to HTTP status codes: the one place where
// this happens. Order matters: the first match wins.
var errorTable = []struct {
	err    error
	status int
}{
	{model.ErrInvalid, http.StatusBadRequest},
	{pki.ErrInvalidCSR, http.StatusBadRequest},
	{model.ErrUnauthorized, http.StatusUnauthorized},
	{model.ErrQuotaExceeded, http.StatusForbidden},
	{model.ErrForbidden, http.StatusForbidden},
	{model.ErrNotFound, http.StatusNotFound},
	{store.ErrNotFound, http.StatusNotFound},
	{model.ErrNotAcceptable, http.StatusNotAcceptable},
	{model.ErrConflict, http.StatusConflict},
	{store.ErrRevisionMismatch, http.StatusConflict},
	{store.ErrExists, http.StatusConflict},
	{keystone.ErrUnavailable, http.StatusServiceUnavailable},
}

// Status returns the HTTP status code for err and whether the error's text
// may be shown to the caller.
func Status(err error) (int, bool) {
	for _, e := range errorTable {
		if errors.Is(err, e.err) {
			return e.status, true
		}
	}
	return http.StatusInternalServerError, false
}

// Message returns the caller-facing text of err: the message of a
// model.UserError when there is one, the error text for other mapped errors,
// and a generic sentence for anything unmapped.
func Message(err error) string {
	var ue *model.UserError
	if errors.As(err, &ue) {
		return ue.Message
	}
	if _, ok := Status(err); ok {
		msg := err.Error()
		// A message that names a place ("resources.x.type: …") keeps its
		// case; a bare sentence is capitalized and ended.
		if !strings.Contains(msg, ": ") {
			msg = capitalize(msg)
		}
		if !strings.HasSuffix(msg, ".") {
			msg += "."
		}
		return msg
	}
	return "An unexpected error prevented the server from fulfilling your request."
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ErrorWriter writes err as an HTTP error response.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// logUnmapped reports an error that has no status mapping: the caller sees a
// generic message, the operator the real error.
func logUnmapped(r *http.Request, status int, err error) {
	if status < 500 {
		return
	}
	logger(r.Context()).ErrorContext(r.Context(), "request failed", "error", err,
		"request_id", RequestID(r.Context()), "method", r.Method, "path", r.URL.Path)
}

// WriteMagnumError writes err in Magnum's error format.
func WriteMagnumError(w http.ResponseWriter, r *http.Request, err error) {
	status, _ := Status(err)
	logUnmapped(r, status, err)
	msg := Message(err)
	code := "client"
	if status >= 500 {
		code = "server"
	}
	// Magnum's title is the message up to its first period; ours ends at
	// the first sentence, so that "v1.37.2" or "10.0.0.0/24" survive.
	title := strings.TrimSuffix(msg, ".")
	if i := strings.Index(title, ". "); i > 0 {
		title = title[:i]
	}
	body := map[string]any{"errors": []map[string]any{{
		"request_id": "",
		"code":       code,
		"status":     status,
		"title":      title,
		"detail":     msg,
		"links":      []any{},
	}}}
	var ver *VersionError
	if errors.As(err, &ver) {
		e := body["errors"].([]map[string]any)[0]
		e["code"] = "magnum.microversion-unsupported"
		e["title"] = "Requested microversion is unsupported"
		e["min_version"] = ver.Min
		e["max_version"] = ver.Max
		e["links"] = []map[string]string{{"rel": "help", "href": "http://docs.openstack.org/api-guide/compute/microversions.html"}}
	}
	WriteJSON(w, status, body)
}

// WriteKeystoneError writes err in Keystone's error format.
func WriteKeystoneError(w http.ResponseWriter, r *http.Request, err error) {
	status, _ := Status(err)
	logUnmapped(r, status, err)
	WriteJSON(w, status, map[string]any{"error": map[string]any{
		"code":    status,
		"title":   http.StatusText(status),
		"message": Message(err),
	}})
}

// VersionError is a microversion outside the served range.
type VersionError struct {
	Message  string
	Min, Max string
}

// Error implements error.
func (e *VersionError) Error() string { return e.Message }

// Unwrap classifies the error as not acceptable.
func (e *VersionError) Unwrap() error { return model.ErrNotAcceptable }

// WriteJSON writes v as a JSON response with status. A 204 has no body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func logger(ctx interface{ Value(any) any }) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// WriteHeatError writes err in Heat's error format, which python-heatclient
// reads: {"code", "title", "explanation", "error": {"message", "type"}}.
func WriteHeatError(w http.ResponseWriter, r *http.Request, err error) {
	status, _ := Status(err)
	logUnmapped(r, status, err)
	kind := "InternalError"
	switch status {
	case http.StatusBadRequest:
		kind = "StackValidationFailed"
	case http.StatusNotFound:
		kind = "EntityNotFound"
	case http.StatusConflict:
		kind = "StackExists"
	case http.StatusForbidden:
		kind = "Forbidden"
	case http.StatusUnauthorized:
		kind = "NotAuthenticated"
	}
	WriteJSON(w, status, map[string]any{
		"code":        status,
		"title":       http.StatusText(status),
		"explanation": Message(err),
		"error":       map[string]any{"message": Message(err), "type": kind, "traceback": nil},
	})
}
