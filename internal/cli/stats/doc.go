// Package stats implements `slipway stats`, which counts clusters and
// nodes.
package stats
