package node

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Agent states reported in Status.State.
const (
	// StateBooting: the boot stage runs; the agent is not up yet.
	StateBooting = "booting"
	// StateUp: the agent runs; the machine is ACTIVE.
	StateUp = "up"
	// StateFailed: the agent could not boot the machine and exits; Reason
	// says why.
	StateFailed = "failed"
	// StateStopping: the agent was asked to stop and is stopping services.
	StateStopping = "stopping"
)

// Status is what the agent reports about a machine, in StatusFile.
type Status struct {
	Nonce   string    `json:"nonce"`
	Boot    int       `json:"boot"`
	State   string    `json:"state"`
	Reason  string    `json:"reason,omitempty"`
	Since   time.Time `json:"since"`
	Updated time.Time `json:"updated"`
	// UserData reports the run of this boot's user_data.
	UserData TaskStatus `json:"user_data"`
	// Services reports the bootstrap document's services.
	Services []ServiceStatus `json:"services,omitempty"`
	// Deployments reports the software deployments run since boot.
	Deployments []DeploymentStatus `json:"deployments,omitempty"`
}

// TaskStatus is the state of something that runs to completion.
type TaskStatus struct {
	// State is "pending", "running", "done" or "failed".
	State string `json:"state"`
	// Kind names the user_data forms found ("script", "cloud-config",
	// "bootstrap", …).
	Kind   []string `json:"kind,omitempty"`
	Reason string   `json:"reason,omitempty"`
}

// ServiceStatus is the state of one supervised service.
type ServiceStatus struct {
	Name string `json:"name"`
	// State is "waiting", "starting", "running", "backoff", "exited" or
	// "failed".
	State    string `json:"state"`
	Ready    bool   `json:"ready"`
	PID      int    `json:"pid,omitempty"`
	Restarts int    `json:"restarts"`
	LastExit string `json:"last_exit,omitempty"`
}

// DeploymentStatus is the result of one software deployment.
type DeploymentStatus struct {
	ID         string `json:"id"`
	Name       string `json:"name,omitempty"`
	StatusCode int    `json:"status_code"`
	Signalled  bool   `json:"signalled"`
	Error      string `json:"error,omitempty"`
}

// DecodeStatus parses the content of a status file.
func DecodeStatus(data []byte) (*Status, error) {
	var s Status
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("parse agent status: %w", err)
	}
	return &s, nil
}

// statusWriter keeps the agent's Status and writes it atomically on every
// change.
type statusWriter struct {
	path string
	mu   sync.Mutex
	st   Status
}

func newStatusWriter(path, nonce string, boot int) *statusWriter {
	now := time.Now().UTC()
	return &statusWriter{path: path, st: Status{
		Nonce: nonce, Boot: boot, State: StateBooting, Since: now, Updated: now,
		UserData: TaskStatus{State: "pending"},
	}}
}

// update applies f to the status and writes it.
func (w *statusWriter) update(f func(*Status)) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	old := w.st.State
	f(&w.st)
	now := time.Now().UTC()
	if w.st.State != old {
		w.st.Since = now
	}
	w.st.Updated = now
	data, err := json.MarshalIndent(&w.st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	return WriteFileAtomic(w.path, data, 0o644)
}

// WriteFileAtomic writes data to a temporary file beside path and renames
// it over path, so that readers never see a partial file. The agent writes
// its status this way; the machine manager its boot plans and definitions.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, mode)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return nil
}
