package ccm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"k8s.io/client-go/kubernetes/fake"
)

// countingRun stands in for Run: it counts the controllers running per
// cluster and the most that ever ran at once.
type countingRun struct {
	mu      sync.Mutex
	running map[string]int
	most    int
	starts  int
}

func (c *countingRun) run(ctx context.Context, cfg Config) error {
	c.mu.Lock()
	c.starts++
	c.running[cfg.ClusterID]++
	c.most = max(c.most, c.running[cfg.ClusterID])
	c.mu.Unlock()
	<-ctx.Done()
	c.mu.Lock()
	c.running[cfg.ClusterID]--
	c.mu.Unlock()
	return nil
}

func newCountingManager() (*Manager, *countingRun) {
	c := &countingRun{running: map[string]int{}}
	m := NewManager(nil)
	m.run = c.run
	return m, c
}

func testConfig() Config {
	return Config{Client: fake.NewClientset(), Backend: newFakeBackend()}
}

func TestManagerStartAndStopAreIdempotent(t *testing.T) {
	t.Parallel()
	m, c := newCountingManager()
	for range 2 {
		if err := m.Start("a", testConfig()); err != nil {
			t.Fatal(err)
		}
	}
	if !m.Running("a") {
		t.Fatal("Running(a) = false after Start")
	}
	eventually(t, "the controller runs", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.running["a"] == 1
	})

	m.Stop("a")
	m.Stop("a")
	m.Stop("never-started")
	c.mu.Lock()
	if c.running["a"] != 0 || c.starts != 1 {
		t.Errorf("after Stop: %d running, %d started; want 0 and 1", c.running["a"], c.starts)
	}
	c.mu.Unlock()
	if m.Running("a") {
		t.Error("Running(a) = true after Stop")
	}

	if err := m.Start("a", testConfig()); err != nil {
		t.Fatal(err)
	}
	m.StopAll()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.starts != 2 || m.Running("a") {
		t.Errorf("Start after Stop: %d started, running %v; want 2 and false", c.starts, m.Running("a"))
	}
}

func TestManagerRejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	m, c := newCountingManager()
	other := testConfig()
	other.ClusterID = "b"
	for name, cfg := range map[string]Config{
		"no backend":      {Client: fake.NewClientset()},
		"another cluster": other,
	} {
		if err := m.Start("a", cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: Start = %v, want ErrInvalidConfig", name, err)
		}
	}
	if m.Running("a") || c.starts != 0 {
		t.Error("a controller started from an invalid config")
	}
}

func TestManagerForgetsEndedController(t *testing.T) {
	t.Parallel()
	m := NewManager(nil)
	ran := make(chan struct{}, 2)
	m.run = func(context.Context, Config) error {
		ran <- struct{}{}
		return errors.New("cannot start")
	}
	if err := m.Start("a", testConfig()); err != nil {
		t.Fatal(err)
	}
	<-ran
	eventually(t, "the ended controller is forgotten", func() bool { return !m.Running("a") })
	if err := m.Start("a", testConfig()); err != nil {
		t.Fatal(err)
	}
	<-ran
}

func TestManagerConcurrentUse(t *testing.T) {
	t.Parallel()
	m, c := newCountingManager()
	var wg sync.WaitGroup
	for i := range 40 {
		id := fmt.Sprintf("cluster-%d", i%4)
		wg.Go(func() {
			if err := m.Start(id, testConfig()); err != nil {
				t.Error(err)
			}
			_ = m.Running(id)
			if i%3 == 0 {
				m.Stop(id)
			}
		})
	}
	wg.Wait()
	m.StopAll()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.most != 1 {
		t.Errorf("up to %d controllers ran at once for one cluster, want 1", c.most)
	}
	for id, n := range c.running {
		if n != 0 {
			t.Errorf("%d controller(s) of %s still run after StopAll", n, id)
		}
	}
}

func TestManagerRunsAndStopsRealController(t *testing.T) {
	t.Parallel()
	client := fake.NewClientset(node("worker-0", "10.0.0.11"), lbService("default", "web", tcpPort("http", 80, 30080)))
	backend := newFakeBackend()
	m := NewManager(nil)
	if err := m.Start(testClusterID, Config{Client: client, Backend: backend}); err != nil {
		t.Fatal(err)
	}
	name := LoadBalancerName(testClusterID, "default", "web")
	eventually(t, "the service's load balancer is made", func() bool {
		lb, ok := backend.lb(name)
		return ok && hasIngress(getService(t, client, "default", "web"), lb.address)
	})
	m.Stop(testClusterID) // returns only once Run has
	if m.Running(testClusterID) {
		t.Error("Running = true after Stop")
	}
}
