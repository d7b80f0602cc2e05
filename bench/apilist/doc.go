// Command apilist measures how fast Slipway lists clusters: GET
// /container-infra/v1/clusters with 1 000 clusters stored, on SQLite or
// PostgreSQL, against a real `slipway serve` process.
//
// It starts bin/slipway on a free loopback port with a temporary data
// directory, creates a cluster template and a project member through the
// APIs, stops the server, stores the clusters directly with the SQL store
// (the shipped binary has no COE driver, so POST /v1/clusters refuses them),
// starts the server again and drives a bounded load: a fixed duration at a
// fixed number of keep-alive connections, measured in-process with net/http
// and, when it is installed, with wrk. It prints a table of throughput and
// latency percentiles, the server's CPU time per request, and its memory
// (VmRSS, PSS and the Go heap) idle and after the load.
//
// hack/bench.sh builds the binary and runs this on SQLite and PostgreSQL;
// docs/benchmarks.md records the figures. The -in-process flag runs the
// server inside this program instead, so that -cpuprofile can profile it.
package main
