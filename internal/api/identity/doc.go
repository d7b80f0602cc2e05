// Package identity serves the Keystone-compatible Identity v3 API subset
// over the identity service: version discovery, tokens, projects, users,
// roles, role assignments, domains and application credentials, as the
// openstack CLI and gophercloud use them.
package identity
