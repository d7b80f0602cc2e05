// Command pause is the process of Slipway's pause image, the pod sandbox
// that holds a pod's namespaces. It runs as PID 1, reaps orphaned children
// and exits 0 on SIGINT or SIGTERM, like the upstream pause.
//
// Slipway does not run it from this module: internal/artifacts embeds this
// source and builds it as a static binary for the image.
package main
