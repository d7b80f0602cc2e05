package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what wrk reports of one run, and the CPU time it used.
type wrkResult struct {
	stats
	CPU time.Duration
}

// runWrk runs wrk against t with conns connections for d and parses its
// report. It uses as many threads as there are connections, at most two.
func runWrk(ctx context.Context, wrk string, t loadTarget, conns int, d time.Duration) (wrkResult, error) {
	threads := min(conns, 2)
	args := []string{
		"-t" + strconv.Itoa(threads), "-c" + strconv.Itoa(conns),
		"-d" + strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second))) + "s",
		"--timeout", strconv.Itoa(int(requestTimeout/time.Second)) + "s",
		"-H", "X-Auth-Token: " + t.Token, "--latency", t.URL,
	}
	cmd := exec.CommandContext(ctx, wrk, args...)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return wrkResult{}, fmt.Errorf("run wrk: %w: %s", err, ee.Stderr)
		}
		return wrkResult{}, fmt.Errorf("run wrk: %w", err)
	}
	r, err := parseWrk(string(out))
	if err != nil {
		return wrkResult{}, fmt.Errorf("run wrk: %w\n%s", err, out)
	}
	r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return r, nil
}

// parseWrk reads the report wrk --latency prints: the latency
// distribution, the maximum latency, the request count and duration, the
// non-2xx count and socket errors.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	var haveP50, haveP99, haveCount bool
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var err error
		switch {
		case f[0] == "Latency" && len(f) >= 4:
			// Thread stats: Latency avg stdev max +/-stdev.
			r.Max, err = wrkDuration(f[3])
		case f[0] == "50%" && len(f) == 2:
			r.P50, err = wrkDuration(f[1])
			haveP50 = true
		case f[0] == "90%" && len(f) == 2:
			r.P90, err = wrkDuration(f[1])
		case f[0] == "99%" && len(f) == 2:
			r.P99, err = wrkDuration(f[1])
			haveP99 = true
		case len(f) >= 4 && f[1] == "requests" && f[2] == "in":
			// "12345 requests in 10.00s, 1.23GB read"
			r.Requests, err = strconv.Atoi(f[0])
			if err == nil {
				r.Elapsed, err = wrkDuration(strings.TrimSuffix(f[3], ","))
			}
			haveCount = true
		case strings.HasPrefix(sc.Text(), "  Non-2xx or 3xx responses:"):
			var n int
			n, err = strconv.Atoi(f[len(f)-1])
			r.Errors += n
		case f[0] == "Socket" && f[1] == "errors:":
			// "Socket errors: connect 0, read 0, write 0, timeout 0"
			for i := 2; i+1 < len(f); i += 2 {
				n, perr := strconv.Atoi(strings.TrimSuffix(f[i+1], ","))
				if perr != nil {
					err = perr
					break
				}
				r.Errors += n
			}
		}
		if err != nil {
			return wrkResult{}, fmt.Errorf("parse wrk report line %q: %w", sc.Text(), err)
		}
	}
	if !haveP50 || !haveP99 || !haveCount {
		return wrkResult{}, errors.New("parse wrk report: no latency distribution or request count")
	}
	return r, nil
}

// wrkDuration parses a wrk duration such as 512.00us, 3.21ms, 1.02s or
// 1.50m.
func wrkDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("wrk duration %q: %w", s, err)
	}
	return d, nil
}
