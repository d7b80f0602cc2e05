package hot

import (
	"fmt"
	"strconv"

	"github.com/slipway/slipway/internal/model"
)

// Error is a problem found in a template, an environment or while evaluating
// an expression. Path locates it inside the template, in Heat's notation
// (resources.master.properties.networks[0].port); Msg says what is wrong.
// An Error unwraps to model.ErrInvalid, so the API answers 400.
type Error struct {
	Path string
	Msg  string

	cause error
}

// Error returns "path: message", or the message alone when there is no path.
func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Unwrap returns model.ErrInvalid, and the underlying cause when there is one.
func (e *Error) Unwrap() []error {
	if e.cause != nil {
		return []error{model.ErrInvalid, e.cause}
	}
	return []error{model.ErrInvalid}
}

func errorf(path, format string, a ...any) *Error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, a...)}
}

// msgf returns an error without a path yet: the caller that knows where the
// failing expression stands adds it (see wrapError). Messages follow Heat's
// wording, capitals included.
func msgf(format string, a ...any) error {
	return &Error{Msg: fmt.Sprintf(format, a...)}
}

// wrapError puts err under path unless it already carries one.
func wrapError(path string, err error) error {
	if err == nil {
		return nil
	}
	// Only a bare *Error is re-pathed: a wrapped one keeps its wrapper's text.
	if e, ok := err.(*Error); ok { //nolint:errorlint // see above
		if e.Path == "" {
			return &Error{Path: path, Msg: e.Msg, cause: e.cause}
		}
		return e
	}
	return &Error{Path: path, Msg: err.Error(), cause: err}
}

// joinPath appends a mapping key to a path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// indexPath appends a list index to a path.
func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
