// Package v1 holds the wire types of the Heat-compatible orchestration API.
package v1
