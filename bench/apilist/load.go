package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"
)

// requestTimeout bounds one request of a load run.
const requestTimeout = 30 * time.Second

// maxErrors stops a load run that fails this many requests.
const maxErrors = 100

// stats are the figures of one load run.
type stats struct {
	Requests int
	// Errors counts requests that failed or did not answer 200.
	Errors  int
	Elapsed time.Duration
	// Bytes is the size of the response bodies read, in total.
	Bytes int64
	// P50 to Max are latency percentiles of the successful requests.
	P50, P90, P99, Max time.Duration
}

// Throughput is the rate of successful requests.
func (s stats) Throughput() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Requests-s.Errors) / s.Elapsed.Seconds()
}

// summarize fills the percentiles of s from latencies, which it sorts.
func (s *stats) summarize(latencies []time.Duration) {
	slices.Sort(latencies)
	s.P50 = percentile(latencies, 50)
	s.P90 = percentile(latencies, 90)
	s.P99 = percentile(latencies, 99)
	s.Max = percentile(latencies, 100)
}

// percentile returns the nearest-rank p-th percentile of sorted, or 0 when
// it is empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// loadTarget is the request a load run repeats.
type loadTarget struct {
	URL   string
	Token string
}

// newLoadClient returns a client that keeps conns connections alive to one
// host and neither asks for compression nor follows redirects.
func newLoadClient(conns int) *http.Client {
	return &http.Client{
		Timeout: requestTimeout,
		Transport: &http.Transport{
			MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
			DisableCompression: true, IdleConnTimeout: time.Minute,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// runLoad sends t's request from conns workers over conns keep-alive
// connections, each worker waiting for its answer before the next request
// (a closed loop), until d has passed. It measures each request from
// sending it to reading the last byte of the body.
func runLoad(ctx context.Context, t loadTarget, conns int, d time.Duration) (stats, error) {
	hc := newLoadClient(conns)
	defer hc.CloseIdleConnections()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type worker struct {
		latencies []time.Duration
		errors    int
		bytes     int64
		lastErr   error
	}
	workers := make([]worker, conns)
	var (
		mu     sync.Mutex
		failed int
		wg     sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for i := range workers {
		w := &workers[i]
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				began := time.Now()
				n, err := fetch(ctx, hc, t)
				if err != nil {
					w.errors++
					w.lastErr = err
					mu.Lock()
					failed++
					if failed >= maxErrors {
						cancel()
					}
					mu.Unlock()
					continue
				}
				w.latencies = append(w.latencies, time.Since(began))
				w.bytes += n
			}
		})
	}
	wg.Wait()
	s := stats{Elapsed: time.Since(start)}
	var all []time.Duration
	var errs []error
	for _, w := range workers {
		all = append(all, w.latencies...)
		s.Requests += len(w.latencies) + w.errors
		s.Errors += w.errors
		s.Bytes += w.bytes
		if w.lastErr != nil {
			errs = append(errs, w.lastErr)
		}
	}
	s.summarize(all)
	if s.Errors >= maxErrors {
		return s, fmt.Errorf("load on %s: %d requests failed: %w", t.URL, s.Errors, errors.Join(errs...))
	}
	return s, nil
}

// fetch sends one request and reads its whole body. Any answer but 200 is
// an error.
func fetch(ctx context.Context, hc *http.Client, t loadTarget) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Auth-Token", t.Token)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return n, fmt.Errorf("read body: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return n, fmt.Errorf("status %d", resp.StatusCode)
	}
	return n, nil
}
