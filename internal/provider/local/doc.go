// Package local is the infrastructure provider that makes cloud primitives
// real on the local Linux host.
package local
