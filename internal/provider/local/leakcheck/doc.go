// Package leakcheck snapshots the host state that Slipway's local provider
// may change and diffs two snapshots, so a test can prove that deleting
// something left nothing behind.
//
// A snapshot covers network namespaces (entries of /run/netns and nsfs
// mounts), links, routes of every table, the nftables ruleset, mounts, loop
// devices, processes, cgroup directories under given roots and files under
// given directories. Tests that change host state hold Lock for their
// duration, so that test binaries running in parallel do not see each
// other's objects.
package leakcheck
