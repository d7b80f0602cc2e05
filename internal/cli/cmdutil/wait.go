package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/slipway/slipway/pkg/client"
)

// StatusFunc returns an object's status and status reason. Once the object
// is gone it returns an error for which client.IsNotFound is true.
type StatusFunc func(ctx context.Context) (status, reason string, err error)

// FailedError is a wait that ended in a *_FAILED status.
type FailedError struct {
	Object string
	Status string
	Reason string
}

// Error implements error.
func (e *FailedError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("%s: %s", e.Object, e.Status)
	}
	return fmt.Sprintf("%s: %s: %s", e.Object, e.Status, e.Reason)
}

// Waiter polls an object and prints a line, with the elapsed time, each
// time its status or status reason changes.
type Waiter struct {
	// Out receives the progress lines.
	Out io.Writer
	// Interval is the polling period.
	Interval time.Duration
	// Object names the object in errors, e.g. "cluster k8s".
	Object string
	// Prefix starts every progress line; it tells objects apart when
	// several are awaited.
	Prefix string
}

// NewWaiter returns a Waiter that prints to f's error stream.
func (f *Factory) NewWaiter(object string) *Waiter {
	return &Waiter{Out: f.Streams.ErrOut, Interval: f.PollInterval, Object: object}
}

// UntilStable polls until the status no longer ends in _IN_PROGRESS. It
// fails if the status ends in _FAILED.
func (w *Waiter) UntilStable(ctx context.Context, get StatusFunc) error {
	return w.poll(ctx, get, false)
}

// UntilDeleted polls until the object is gone. It fails if the status ends
// in _FAILED.
func (w *Waiter) UntilDeleted(ctx context.Context, get StatusFunc) error {
	return w.poll(ctx, get, true)
}

func (w *Waiter) poll(ctx context.Context, get StatusFunc, deleting bool) error {
	start := time.Now()
	interval := w.Interval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	last := ""
	for {
		status, reason, err := get(ctx)
		switch {
		case err != nil && deleting && client.IsNotFound(err):
			w.line(start, "deleted")
			return nil
		case err != nil && ctx.Err() != nil:
			return fmt.Errorf("wait for %s: %w", w.Object, ctx.Err())
		case err != nil:
			return fmt.Errorf("wait for %s: %w", w.Object, err)
		}
		if key := status + "\x00" + reason; key != last {
			last = key
			text := status
			if reason != "" {
				text += ": " + reason
			}
			w.line(start, text)
		}
		if strings.HasSuffix(status, "_FAILED") {
			return &FailedError{Object: w.Object, Status: status, Reason: reason}
		}
		if !deleting && status != "" && !strings.HasSuffix(status, "_IN_PROGRESS") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", w.Object, ctx.Err())
		case <-ticker.C:
		}
	}
}

func (w *Waiter) line(start time.Time, text string) {
	fmt.Fprintf(w.Out, "[%5.1fs] %s%s\n", time.Since(start).Seconds(), w.Prefix, text)
}

// WaitDeleted waits for each named object, in turn, to be gone. With more
// than one name, progress lines start with the object's name. It returns
// the failures joined, and stops early if ctx ends.
func (f *Factory) WaitDeleted(ctx context.Context, kind string, names []string, status func(name string) StatusFunc) error {
	var errs []error
	for _, name := range names {
		w := f.NewWaiter(kind + " " + name)
		if len(names) > 1 {
			w.Prefix = name + ": "
		}
		if err := w.UntilDeleted(ctx, status(name)); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// ClusterStatus polls a cluster's status and status reason.
func ClusterStatus(c *client.Client, cluster string) StatusFunc {
	return func(ctx context.Context) (string, string, error) {
		cl, err := c.Clusters().Get(ctx, cluster)
		if err != nil {
			return "", "", err
		}
		reason := ""
		if cl.StatusReason != nil {
			reason = *cl.StatusReason
		}
		return cl.Status, reason, nil
	}
}
