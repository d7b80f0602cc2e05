package machine

import "errors"

// Errors of this package. Callers match them with errors.Is.
var (
	// ErrNotFound: no machine has this id.
	ErrNotFound = errors.New("machine not found")
	// ErrExists: a machine with this id exists already.
	ErrExists = errors.New("machine exists")
	// ErrInvalid: the spec or configuration is not acceptable.
	ErrInvalid = errors.New("invalid machine spec")
	// ErrUnsupported: the host cannot run machines (not root, no cgroups).
	ErrUnsupported = errors.New("host cannot run local machines")
)
