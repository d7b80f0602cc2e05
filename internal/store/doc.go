// Package store defines the persistence contract that every Slipway storage
// backend implements, and typed helpers over it.
package store
