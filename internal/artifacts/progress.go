package artifacts

import (
	"fmt"
	"time"
)

// Phase is the stage of a component's build that an Event reports.
type Phase string

// Phases of a build.
const (
	// PhaseCached means the component was found in the cache.
	PhaseCached Phase = "cached"
	// PhaseWaiting means another build of it holds the lock.
	PhaseWaiting Phase = "waiting"
	// PhaseStart means this process starts building it.
	PhaseStart Phase = "building"
	// PhaseRunning is sent every ProgressInterval while a build runs.
	PhaseRunning Phase = "running"
	// PhaseDone means the build finished and the result is cached.
	PhaseDone Phase = "built"
	// PhaseFailed means the build failed; Err says why.
	PhaseFailed Phase = "failed"
)

// Event reports progress of a Kubernetes version's build.
type Event struct {
	// Version is the Kubernetes version being ensured.
	Version string
	// Component is the component concerned, such as "kubernetes".
	Component string
	// Phase is what happened.
	Phase Phase
	// Elapsed is the time since the component's build started.
	Elapsed time.Duration
	// CPU is the CPU time the finished build used, for PhaseDone.
	CPU time.Duration
	// Err is the failure, for PhaseFailed.
	Err error
}

// String renders the event as one progress line.
func (e Event) String() string {
	s := fmt.Sprintf("%s %s: %s", e.Version, e.Component, e.Phase)
	if e.Elapsed > 0 {
		s += " " + e.Elapsed.Round(time.Second).String()
	}
	if e.CPU > 0 {
		s += " (CPU " + e.CPU.Round(time.Second).String() + ")"
	}
	return s
}

func (c *Cache) emit(e Event) {
	if c.opts.Progress != nil {
		c.opts.Progress(e)
	}
}

// ticker sends PhaseRunning events every ProgressInterval until the
// returned stop function is called.
func (c *Cache) ticker(version, component string, start time.Time) (stop func()) {
	if c.opts.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(c.opts.ProgressInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				c.emit(Event{Version: version, Component: component, Phase: PhaseRunning, Elapsed: time.Since(start)})
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
