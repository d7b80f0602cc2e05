package model

import (
	"errors"
	"fmt"
)

// Sentinel errors that the API edge maps to HTTP status codes. Wrap them with
// a message the user can act on (see Invalidf and friends); never match on text.
var (
	// ErrInvalid is bad input: HTTP 400.
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound is a missing object: HTTP 404.
	ErrNotFound = errors.New("not found")
	// ErrConflict is a clash with existing state: HTTP 409.
	ErrConflict = errors.New("conflict")
	// ErrForbidden is a policy denial: HTTP 403.
	ErrForbidden = errors.New("forbidden")
	// ErrQuotaExceeded is a quota limit reached: HTTP 403.
	ErrQuotaExceeded = errors.New("quota exceeded")
	// ErrUnauthorized is a missing or bad credential: HTTP 401.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrNotAcceptable is a microversion the API does not serve: HTTP 406.
	ErrNotAcceptable = errors.New("not acceptable")
)

// UserError carries a message meant for the API caller together with the
// sentinel that classifies it.
type UserError struct {
	Kind    error
	Message string
}

func (e *UserError) Error() string { return e.Message }

// Unwrap returns the classifying sentinel.
func (e *UserError) Unwrap() error { return e.Kind }

func userErrorf(kind error, format string, a ...any) error {
	return &UserError{Kind: kind, Message: fmt.Sprintf(format, a...)}
}

// Invalidf returns a 400-class error with a message for the user.
func Invalidf(format string, a ...any) error { return userErrorf(ErrInvalid, format, a...) }

// NotFoundf returns a 404-class error with a message for the user.
func NotFoundf(format string, a ...any) error { return userErrorf(ErrNotFound, format, a...) }

// Conflictf returns a 409-class error with a message for the user.
func Conflictf(format string, a ...any) error { return userErrorf(ErrConflict, format, a...) }

// Forbiddenf returns a 403-class error with a message for the user.
func Forbiddenf(format string, a ...any) error { return userErrorf(ErrForbidden, format, a...) }

// QuotaExceededf returns a 403-class quota error with a message for the user.
func QuotaExceededf(format string, a ...any) error {
	return userErrorf(ErrQuotaExceeded, format, a...)
}

// Unauthorizedf returns a 401-class error with a message for the user.
func Unauthorizedf(format string, a ...any) error { return userErrorf(ErrUnauthorized, format, a...) }

// NotAcceptablef returns a 406-class error with a message for the user.
func NotAcceptablef(format string, a ...any) error {
	return userErrorf(ErrNotAcceptable, format, a...)
}
