// Package identity is Slipway's built-in, Keystone-compatible identity
// service: projects, users, roles, role assignments, application credentials
// and bearer tokens, with authentication and fast token validation.
package identity
