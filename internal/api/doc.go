// Package api holds what every Slipway HTTP API shares: request ids,
// logging, metrics, authentication and the one table that maps domain errors
// to HTTP status codes.
package api
