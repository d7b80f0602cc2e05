package provider

import "errors"

// ErrUnsupported means the host cannot run a provider (the local provider
// without root, say). A process may then run without one.
var ErrUnsupported = errors.New("the host cannot run this provider")
