// Package orchestration serves the Heat-compatible stack API (a subset of
// OpenStack Heat's orchestration v1) over the orchestration engine.
package orchestration
