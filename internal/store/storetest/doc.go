// Package storetest is the conformance suite every store.Store
// implementation passes.
package storetest
