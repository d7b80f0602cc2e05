// Package cli builds the slipway command line: a cobra command tree with one
// package per noun under internal/cli, all talking to the API through
// pkg/client.
package cli
