package main

import (
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	t.Parallel()
	const report = `Running 1s test @ http://127.0.0.1:18777/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.22ms   18.33ms 112.66ms   87.81%
    Req/Sec   330.20    202.25   595.00     60.00%
  Latency Distribution
     50%    4.08ms
     75%   12.77ms
     90%   34.94ms
     99%   88.22ms
  329 requests in 1.00s, 1.73MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:    328.28
Transfer/sec:      1.73MB
`
	got, err := parseWrk(report)
	if err != nil {
		t.Fatal(err)
	}
	want := stats{
		Requests: 329, Errors: 7, Elapsed: time.Second,
		P50: 4080 * time.Microsecond, P90: 34940 * time.Microsecond,
		P99: 88220 * time.Microsecond, Max: 112660 * time.Microsecond,
	}
	if got.stats != want {
		t.Errorf("parseWrk = %+v, want %+v", got.stats, want)
	}
	if _, err := parseWrk("Running 1s test\n  0 threads\n"); err == nil {
		t.Error("parseWrk accepted a report without figures")
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var sorted []time.Duration
	for i := 1; i <= 100; i++ {
		sorted = append(sorted, ms(i))
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", []time.Duration{ms(7)}, 99, ms(7)},
		{"median of 100", sorted, 50, ms(50)},
		{"p99 of 100", sorted, 99, ms(99)},
		{"max", sorted, 100, ms(100)},
		{"p0 is the minimum", sorted, 0, ms(1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := percentile(tc.sorted, tc.p); got != tc.want {
				t.Errorf("percentile(%v) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
}
