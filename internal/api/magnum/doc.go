// Package magnum serves the Magnum v1 (container-infra) API, wire-compatible
// with OpenStack Magnum up to microversion 1.12.
package magnum
