// Package cmdutil holds what every slipway command shares: the IO streams,
// the global flags and client construction, output, flag parsing helpers
// and the --wait poller.
package cmdutil
