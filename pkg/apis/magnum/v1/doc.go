// Package v1 holds the wire types of the Magnum v1 (container-infra) API.
package v1
