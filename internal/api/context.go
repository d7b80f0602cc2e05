package api

import (
	"context"

	"github.com/slipway/slipway/internal/identity"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	credentialsKey
	routeKey
	loggerKey
)

// RequestID returns the request id of the request that ctx belongs to.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// WithCredentials returns ctx carrying the caller's credentials.
func WithCredentials(ctx context.Context, c *identity.Credentials) context.Context {
	return context.WithValue(ctx, credentialsKey, c)
}

// Credentials returns the authenticated caller, or nil.
func Credentials(ctx context.Context) *identity.Credentials {
	c, _ := ctx.Value(credentialsKey).(*identity.Credentials)
	return c
}

// route records which registered pattern served a request, for metrics.
type route struct{ pattern string }

func routeFrom(ctx context.Context) *route {
	r, _ := ctx.Value(routeKey).(*route)
	return r
}
