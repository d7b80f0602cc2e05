package measure

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/node"
)

// Smaps returns a process's PSS and RSS in MiB, from smaps_rollup.
func Smaps(pid int) (pss, rss float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "Pss:":
			pss = v / 1024
		case "Rss:":
			rss = v / 1024
		}
	}
	return pss, rss
}

// RSSAnon returns a process's anonymous resident memory in MiB: its own
// memory, without the pages of its binary.
func RSSAnon(pid int) float64 {
	return kibField(fmt.Sprintf("/proc/%d/status", pid), "RssAnon:")
}

// MemAvailable returns the host's MemAvailable in MiB, 0 when unknown.
func MemAvailable() float64 {
	return kibField("/proc/meminfo", "MemAvailable:")
}

// kibField reads the "key value kB" line key of a /proc file, in MiB; 0
// when the file or the line is missing.
func kibField(path, key string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == key {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v / 1024
		}
	}
	return 0
}

// Summary prints the median, minimum and maximum of durations.
func Summary(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return fmt.Sprintf("median %s, min %s, max %s", Ms(s[len(s)/2]), Ms(s[0]), Ms(s[len(s)-1]))
}

// Mean returns the mean of figures, 0 for none.
func Mean(v []float64) float64 {
	var total float64
	for _, x := range v {
		total += x
	}
	return total / float64(max(len(v), 1))
}

// Median returns the median of figures (the upper one of an even count),
// 0 for none.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// Figures prints the mean, minimum and maximum of figures.
func Figures(v []float64) string {
	if len(v) == 0 {
		return "-"
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return fmt.Sprintf("mean %.1f, min %.1f, max %.1f", Mean(s), s[0], s[len(s)-1])
}

// Ms prints a duration in whole milliseconds.
func Ms(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond)) }

// ServeAgent runs the machine agent when the program was started as
// "<program> node …", as a machine manager whose agent is the benchmark
// itself starts it, and then exits. It returns otherwise.
func ServeAgent() {
	if len(os.Args) < 2 || os.Args[1] != "node" {
		return
	}
	cmd := node.Command()
	cmd.SetArgs(os.Args[2:])
	if err := cmd.Execute(); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}
