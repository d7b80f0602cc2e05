package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// userHZ is the unit of the CPU times in /proc/PID/stat: Linux exports
// them in USER_HZ, which is 100 on every architecture Go supports.
const userHZ = 100

// memory is a snapshot of a process's memory, in KiB.
type memory struct {
	RSS  int64 // VmRSS: resident pages, shared ones included
	HWM  int64 // VmHWM: the peak of VmRSS
	PSS  int64 // Pss: resident pages, shared ones divided among sharers
	Heap int64 // go_memstats_heap_inuse_bytes / 1024, from /metrics
	Sys  int64 // go_memstats_sys_bytes / 1024: all the Go runtime got from the OS
}

// readMemory reads the memory of process pid from /proc, and the Go
// runtime's view of it from the server's /metrics at base.
func readMemory(ctx context.Context, pid int, base string) (memory, error) {
	var m memory
	status, err := procFields(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m, err
	}
	rollup, err := procFields(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return m, err
	}
	m.RSS, m.HWM, m.PSS = status["VmRSS"], status["VmHWM"], rollup["Pss"]
	metrics, err := goMetrics(ctx, base, "go_memstats_heap_inuse_bytes", "go_memstats_sys_bytes")
	if err != nil {
		return m, err
	}
	m.Heap, m.Sys = int64(metrics[0]/1024), int64(metrics[1]/1024)
	return m, nil
}

// procFields reads a /proc file of "Name:   value kB" lines into a map of
// the first number on each line.
func procFields(path string) (map[string]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(rest)
		if !ok || len(fields) == 0 {
			continue
		}
		if v, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
			out[name] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// goMetrics reads the named gauges from the server's /metrics.
func goMetrics(ctx context.Context, base string, names ...string) ([]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read metrics: status %d", resp.StatusCode)
	}
	found := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			found[name] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	out := make([]float64, len(names))
	for i, n := range names {
		v, ok := found[n]
		if !ok {
			return nil, fmt.Errorf("read metrics: no %s", n)
		}
		out[i] = v
	}
	return out, nil
}

// cpuTime returns the user and system CPU time process pid has used.
func cpuTime(pid int) (time.Duration, error) {
	path := fmt.Sprintf("/proc/%d/stat", pid)
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	// The command name, in parentheses, may hold spaces; the fields after
	// it start with the state, field 3, so utime (14) and stime (15) are
	// the 12th and 13th.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("read %s: no command name", path)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("read %s: %d fields", path, len(f))
	}
	var ticks int64
	for _, v := range f[11:13] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read %s: %w", path, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// machineCPU returns the CPU time every CPU of the machine has spent busy
// (neither idle nor waiting for I/O) since boot, from /proc/stat.
func machineCPU() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("read /proc/stat: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, fmt.Errorf("read /proc/stat: unexpected first line %q", line)
	}
	var busy int64
	// user nice system idle iowait irq softirq steal …; guest time is
	// already counted in user and nice.
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read /proc/stat: %w", err)
		}
		if i != 3 && i != 4 {
			busy += n
		}
	}
	return time.Duration(busy) * time.Second / userHZ, nil
}

// selfCPU returns the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuSnapshot is the CPU time used so far by the machine, the server, its
// PostgreSQL backends and this process.
type cpuSnapshot struct {
	at                        time.Time
	machine, server, db, self time.Duration
	// backends are the process ids of the PostgreSQL backends in db.
	backends []int32
}

// snapshotCPU reads the CPU times; server is 0 when pid is, and db when db
// is nil.
func snapshotCPU(ctx context.Context, pid int, db *database) (cpuSnapshot, error) {
	var s cpuSnapshot
	var err error
	if db != nil {
		if s.db, s.backends, err = db.BackendCPU(ctx); err != nil {
			return s, err
		}
	}
	s.at, s.self = time.Now(), selfCPU()
	if s.machine, err = machineCPU(); err != nil {
		return s, err
	}
	if pid != 0 {
		if s.server, err = cpuTime(pid); err != nil {
			return s, err
		}
	}
	return s, nil
}

// waitQuiet waits until the machine's CPUs, apart from this process, are
// busy for less than threshold CPUs over one second, or until maxWait has
// passed. It returns the load it saw last, in CPUs.
func waitQuiet(ctx context.Context, threshold float64, maxWait time.Duration) (float64, error) {
	deadline := time.Now().Add(maxWait)
	for {
		before, err := snapshotCPU(ctx, 0, nil)
		if err != nil {
			return 0, err
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		after, err := snapshotCPU(ctx, 0, nil)
		if err != nil {
			return 0, err
		}
		busy := float64((after.machine-before.machine)-(after.self-before.self)) / float64(after.at.Sub(before.at))
		if busy < threshold || time.Now().After(deadline) {
			return busy, nil
		}
	}
}
