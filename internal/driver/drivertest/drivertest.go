package drivertest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/driver"
)

// Labels that steer the test driver.
const (
	// LabelFail makes Apply fail permanently with the label's value as reason.
	LabelFail = "test_fail"
	// LabelFailTimes makes Apply fail with a retryable error this many times.
	LabelFailTimes = "test_fail_times"
	// LabelDelay makes Apply and Delete take this many milliseconds.
	LabelDelay = "test_delay_ms"
)

// Driver records every call and answers as the labels say.
type Driver struct {
	mu      sync.Mutex
	applies map[string]int
	deletes map[string]int
}

// New returns a test driver.
func New() *Driver {
	return &Driver{applies: map[string]int{}, deletes: map[string]int{}}
}

// Applies returns how many times Apply ran for a cluster.
func (d *Driver) Applies(clusterID string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.applies[clusterID]
}

// Deletes returns how many times Delete ran for a cluster.
func (d *Driver) Deletes(clusterID string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.deletes[clusterID]
}

func delay(ctx context.Context, s *driver.Scope) error {
	ms, _ := strconv.Atoi(s.Cluster.Labels[LabelDelay])
	if ms <= 0 {
		return nil
	}
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Apply implements driver.Driver. It fills in the addresses a real driver
// would observe.
func (d *Driver) Apply(ctx context.Context, s *driver.Scope) error {
	d.mu.Lock()
	d.applies[s.Cluster.UUID]++
	n := d.applies[s.Cluster.UUID]
	d.mu.Unlock()
	if s.Progress != nil {
		s.Progress("test driver applying")
	}
	if err := delay(ctx, s); err != nil {
		return err
	}
	if reason := s.Cluster.Labels[LabelFail]; reason != "" {
		return driver.Permanent(errors.New(reason))
	}
	if times, _ := strconv.Atoi(s.Cluster.Labels[LabelFailTimes]); n <= times {
		return fmt.Errorf("test driver: transient failure %d of %d", n, times)
	}
	s.Cluster.APIAddress = "https://127.0.0.1:6443"
	s.Cluster.COEVersion = "v0.0.0-test"
	s.Cluster.StackID = "test-" + s.Cluster.UUID[:8]
	for gi, ng := range s.NodeGroups {
		ng.NodeAddresses = nil
		for i := range ng.NodeCount {
			ng.NodeAddresses = append(ng.NodeAddresses, fmt.Sprintf("10.0.%d.%d", gi, i+10))
		}
		ng.StackID = s.Cluster.StackID
	}
	return nil
}

// Delete implements driver.Driver.
func (d *Driver) Delete(ctx context.Context, s *driver.Scope) error {
	d.mu.Lock()
	d.deletes[s.Cluster.UUID]++
	d.mu.Unlock()
	return delay(ctx, s)
}
