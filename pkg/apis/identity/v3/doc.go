// Package v3 holds the wire types of the Keystone-compatible Identity v3 API
// subset that Slipway serves: version documents, token requests and
// responses, projects, users, roles, role assignments, domains and
// application credentials.
package v3
