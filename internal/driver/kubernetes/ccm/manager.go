package ccm

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// Manager keeps at most one running cloud controller per cluster. The
// conductor starts one when a cluster is created and stops it before the
// cluster is deleted. It is safe for concurrent use; the zero value is not
// usable: build it with NewManager.
type Manager struct {
	log *slog.Logger
	// run is Run, replaced in tests.
	run func(context.Context, Config) error

	mu      sync.Mutex
	running map[string]*controller
}

// controller is one running Run.
type controller struct {
	cancel   context.CancelFunc
	done     chan struct{} // closed when Run has returned and the entry is gone
	stopping bool          // under Manager.mu
}

// NewManager returns a Manager with no controllers. log receives a record
// when a controller fails; it may be nil.
func NewManager(log *slog.Logger) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Manager{log: log, run: Run, running: map[string]*controller{}}
}

// Start runs the cloud controller of the cluster clusterID with cfg, unless
// one already runs, in which case it does nothing (cfg is not applied: Stop
// first to change it). If the cluster's controller is being stopped, Start
// waits for it to end, so that two never run at once. cfg.ClusterID
// defaults to clusterID and must equal it otherwise. The controller runs
// until Stop; it is not tied to the caller's context.
func (m *Manager) Start(clusterID string, cfg Config) error {
	if cfg.ClusterID == "" {
		cfg.ClusterID = clusterID
	}
	if cfg.ClusterID != clusterID {
		return fmt.Errorf("%w: config is for cluster %s, not %s", ErrInvalidConfig, cfg.ClusterID, clusterID)
	}
	if err := cfg.validate(); err != nil {
		return err
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		c, ok := m.running[clusterID]
		if !ok {
			break
		}
		if !c.stopping {
			return nil
		}
		m.mu.Unlock()
		<-c.done
		m.mu.Lock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &controller{cancel: cancel, done: make(chan struct{})}
	m.running[clusterID] = c
	go func() {
		defer close(c.done)
		if err := m.run(ctx, cfg); err != nil {
			m.log.Error("cloud controller failed", "cluster", clusterID, "error", err)
		}
		// The entry goes whether the controller was stopped or ended on
		// its own, so that the next Start runs a new one.
		m.mu.Lock()
		delete(m.running, clusterID)
		m.mu.Unlock()
		cancel()
	}()
	return nil
}

// Running reports whether a cloud controller of the cluster clusterID runs
// and is not being stopped.
func (m *Manager) Running(clusterID string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.running[clusterID]
	return ok && !c.stopping
}

// Stop stops the cloud controller of the cluster clusterID and waits for
// it to return; once Stop returns, the controller makes no Backend call.
// Stopping a cluster without one does nothing.
func (m *Manager) Stop(clusterID string) {
	m.mu.Lock()
	c, ok := m.running[clusterID]
	if ok {
		c.stopping = true
	}
	m.mu.Unlock()
	if !ok {
		return
	}
	c.cancel()
	<-c.done
}

// StopAll stops every cloud controller and waits for them, as the
// conductor shuts down.
func (m *Manager) StopAll() {
	m.mu.Lock()
	all := make([]*controller, 0, len(m.running))
	for _, c := range m.running {
		c.stopping = true
		all = append(all, c)
	}
	m.mu.Unlock()
	for _, c := range all {
		c.cancel()
	}
	for _, c := range all {
		<-c.done
	}
}
