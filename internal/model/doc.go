// Package model holds Slipway's domain types, their validation and the
// cluster status machine. It imports nothing of Slipway's own.
package model
