package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// The targets of the API foundation issue.
const (
	targetP99        = 10 * time.Millisecond
	targetThroughput = 2000.0
	targetIdleRSSKiB = 100 * 1024
)

// Magnum 15's figures on the same kind of machine, for scale: p50 of one
// client listing 1 000 clusters.
const (
	magnumAdminList  = 6900 * time.Millisecond
	magnumMemberList = 240 * time.Second
)

// row is one measured load run.
type row struct {
	Scenario scenario
	// Client is "go" (this program) or "wrk".
	Client string
	Conns  int
	stats
	// ServerCPU is the CPU time the server used during the run.
	ServerCPU time.Duration
	// ClientCPU is the CPU time the load generator used: this program,
	// and wrk when it ran.
	ClientCPU time.Duration
	// DBCPU is the CPU time the PostgreSQL backends serving the server
	// used; 0 on SQLite, which runs inside the server.
	DBCPU time.Duration
	// DBChurn says the server opened or closed PostgreSQL connections
	// during the run, so that DBCPU is unknown and counted in OtherCPU.
	DBChurn bool
	// OtherCPU is the CPU time every other process of the machine used.
	OtherCPU time.Duration
	// Wall is how long the run took, CPU accounting included.
	Wall time.Duration
}

// cores returns d as a number of CPUs busy over the run.
func (r row) cores(d time.Duration) float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(d) / float64(r.Wall)
}

// meets reports whether the run meets the latency and throughput targets.
func (r row) meets() bool {
	return r.Errors == 0 && r.P99 <= targetP99 && r.Throughput() >= targetThroughput
}

// bodySize is the size of one answer of a scenario.
type bodySize struct {
	Scenario scenario
	Bytes    int
}

// report collects the figures of a benchmark run.
type report struct {
	Backend   string
	Clusters  int
	Duration  time.Duration
	InProcess bool
	Bin       string
	Wrk       string
	SeedTime  time.Duration
	Bodies    []bodySize
	Rows      []row
	// IdleFresh is the server's memory idle after its first start,
	// IdleSeeded idle after the start with the clusters stored, AfterLoad
	// after every load run. They are nil when the server runs in process.
	IdleFresh, IdleSeeded, AfterLoad *memory
}

// write prints the report as Markdown.
func (r *report) write(out io.Writer) error {
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, "## %s: GET /v1/clusters with %d clusters\n\n", r.Backend, r.Clusters)
	server := r.Bin + " (child process)"
	if r.InProcess {
		server = "in process (server.Start), sharing the load generator's process: server CPU includes the client's"
	}
	fmt.Fprintf(w, "- machine: %s, %d CPUs, Linux %s, %s\n", cpuModel(), runtime.NumCPU(), kernel(), runtime.Version())
	fmt.Fprintf(w, "- server: %s; store: %s; %d clusters and %d nodegroups stored in %s\n",
		server, r.Backend, r.Clusters, 2*r.Clusters, r.SeedTime.Round(time.Millisecond))
	fmt.Fprintf(w, "- server CPU/req: CPU time of the server process per answered request")
	if r.Backend == "postgres" {
		fmt.Fprintf(w, ", including the PostgreSQL backends serving it (their part in brackets)")
	}
	fmt.Fprintf(w, "; CPUs: average CPUs busy during the run for the server, the load generator and every other process\n")
	fmt.Fprintf(w, "- load: loopback, keep-alive, closed loop, %s per run; go = this program's net/http client", r.Duration)
	if r.Wrk != "" {
		fmt.Fprintf(w, ", wrk = %s", r.Wrk)
	}
	fmt.Fprintf(w, "\n- answer sizes:")
	for i, b := range r.Bodies {
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(w, "%s %s %s", sep, b.Scenario.describe(), kb(int64(b.Bytes)))
	}
	fmt.Fprintf(w, "\n\n")

	fmt.Fprintf(w, "| request | client | conns | req/s | p50 | p90 | p99 | max | errors | server CPU/req | CPUs: server, client, others | p99 ≤ 10 ms & ≥ 2000/s |\n")
	fmt.Fprintf(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, x := range r.Rows {
		// On PostgreSQL the server's work includes its backends'.
		server := x.ServerCPU + x.DBCPU
		cpu := "-"
		if ok := x.Requests - x.Errors; ok > 0 && server > 0 {
			cpu = ms(server / time.Duration(ok))
			switch {
			case x.DBChurn:
				cpu += " (db unknown: connections churned)"
			case x.DBCPU > 0:
				cpu += " (db " + ms(x.DBCPU/time.Duration(ok)) + ")"
			}
		}
		meets := "no"
		if x.meets() {
			meets = "yes"
		}
		fmt.Fprintf(w, "| %s | %s | %d | %.0f | %s | %s | %s | %s | %d | %s | %.2f, %.2f, %.2f | %s |\n",
			x.Scenario.describe(), x.Client, x.Conns, x.Throughput(), ms(x.P50), ms(x.P90), ms(x.P99), ms(x.Max),
			x.Errors, cpu, x.cores(server), x.cores(x.ClientCPU), x.cores(x.OtherCPU), meets)
	}
	fmt.Fprintln(w)

	if r.IdleFresh != nil {
		fmt.Fprintf(w, "| server memory (MiB) | VmRSS | VmHWM | PSS | Go heap in use | Go sys |\n")
		fmt.Fprintf(w, "|---|--:|--:|--:|--:|--:|\n")
		for _, m := range []struct {
			name string
			m    *memory
		}{{"idle after first start (empty store)", r.IdleFresh},
			{fmt.Sprintf("idle after restart (%d clusters)", r.Clusters), r.IdleSeeded},
			{"after the load runs", r.AfterLoad}} {
			if m.m == nil {
				continue
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", m.name,
				mib(m.m.RSS), mib(m.m.HWM), mib(m.m.PSS), mib(m.m.Heap), mib(m.m.Sys))
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintf(w, "Targets:\n")
	for _, name := range []string{"list", "page50"} {
		if line, ok := r.verdict(name); ok {
			fmt.Fprintf(w, "- %s\n", line)
		}
	}
	if r.IdleFresh != nil && r.IdleSeeded != nil {
		idle := max(r.IdleFresh.RSS, r.IdleSeeded.RSS)
		fmt.Fprintf(w, "- idle VmRSS ≤ 100 MiB: %s (%s fresh, %s with %d clusters)\n",
			metWord(idle <= targetIdleRSSKiB), mib(r.IdleFresh.RSS), mib(r.IdleSeeded.RSS), r.Clusters)
	}
	for _, c := range []struct {
		name   string
		magnum time.Duration
	}{{"list", magnumAdminList}, {"member", magnumMemberList}} {
		if x, ok := r.find(c.name, "go", 1); ok {
			fmt.Fprintf(w, "- Magnum 15, one client, p50: %s took %s; here %s (%.0f× faster)\n",
				x.Scenario.describe(), c.magnum, ms(x.P50), float64(c.magnum)/float64(x.P50))
		}
	}
	fmt.Fprintln(w)
	return w.Flush()
}

// verdict says whether any run of scenario name met the latency and
// throughput targets, naming the best run.
func (r *report) verdict(name string) (string, bool) {
	var best *row
	for i := range r.Rows {
		x := &r.Rows[i]
		if x.Scenario.Name != name {
			continue
		}
		switch {
		case best == nil,
			x.meets() && !best.meets(),
			x.meets() == best.meets() && x.Throughput() > best.Throughput():
			best = x
		}
	}
	if best == nil {
		return "", false
	}
	return fmt.Sprintf("%s p99 ≤ 10 ms and ≥ 2000 req/s: %s (best run: %s, %d conns, %.0f req/s, p99 %s)",
		best.Scenario.describe(), metWord(best.meets()), best.Client, best.Conns, best.Throughput(), ms(best.P99)), true
}

// find returns the run of scenario name by client at conns connections.
func (r *report) find(name, client string, conns int) (row, bool) {
	for _, x := range r.Rows {
		if x.Scenario.Name == name && x.Client == client && x.Conns == conns {
			return x, true
		}
	}
	return row{}, false
}

func metWord(ok bool) string {
	if ok {
		return "MET"
	}
	return "NOT MET"
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func mib(kib int64) string { return fmt.Sprintf("%.1f", float64(kib)/1024) }

func kb(b int64) string { return fmt.Sprintf("%.1f KB", float64(b)/1000) }

// cpuModel returns the CPU's model name from /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if name, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// kernel returns the running kernel's release.
func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}
