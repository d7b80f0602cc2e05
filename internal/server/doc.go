// Package server assembles Slipway's processes: the all-in-one `serve`, and
// the split `api` and `conductor` roles.
package server
