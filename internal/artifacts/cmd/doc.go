// Package cmd implements `slipway artifacts`: build, list and prune the
// host's artifacts cache. These commands work on the local cache directly,
// not through Slipway's API, so they live outside internal/cli.
package cmd
