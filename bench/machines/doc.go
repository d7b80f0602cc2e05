// Command machines measures the local provider's machines on this host:
// the time from Create to ACTIVE (the agent reporting up), 20 machines
// created in parallel, the memory an idle machine costs (its agent and the
// manager's bookkeeping), and the delete of 20 machines followed by a leak
// check. It needs root.
//
// By default this program is its own machine agent: it re-executes itself
// as "machines node …". -agent names a slipway binary to use instead, which
// measures the agent as it ships.
//
//	go build -o /tmp/bench-machines ./bench/machines && /tmp/bench-machines
package main
