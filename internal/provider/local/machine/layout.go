package machine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/slipway/slipway/internal/node"
)

// layout names the files of one machine under the state directory:
//
//	machines/<id>/machine.json   definition (spec, lifecycle, boots)
//	machines/<id>/user-data      user_data
//	machines/<id>/boot.json      the current boot plan
//	machines/<id>/init.json      the init's PID, start time, nonce, host boot id
//	machines/<id>/tunables/      the files shadowing /proc/sys entries
//	machines/<id>/etc/           the machine's own layer over the staged /etc
//	machines/<id>/etc-work/      overlayfs's work directory for it
//	machines/<id>/disk/          the machine's root: /var, /root, /home, … persist
type layout struct{ dir string }

func (l layout) definition() string { return filepath.Join(l.dir, "machine.json") }
func (l layout) userData() string   { return filepath.Join(l.dir, "user-data") }
func (l layout) plan() string       { return filepath.Join(l.dir, "boot.json") }
func (l layout) initRecord() string { return filepath.Join(l.dir, "init.json") }
func (l layout) tunables() string   { return filepath.Join(l.dir, "tunables") }
func (l layout) disk() string       { return filepath.Join(l.dir, "disk") }
func (l layout) etcUpper() string   { return filepath.Join(l.dir, "etc") }
func (l layout) etcWork() string    { return filepath.Join(l.dir, "etc-work") }

// Lifecycle states of a definition.
const (
	// lifeCreating: Create has not finished; Adopt removes such a machine.
	lifeCreating = "creating"
	// lifeRunning: the machine should run.
	lifeRunning = "running"
	// lifeDeleting: Delete has started; Adopt finishes it.
	lifeDeleting = "deleting"
)

// Why the current boot happened.
const (
	bootCreate = "create"
	bootReboot = "reboot"
	bootAgain  = "boot-all"
)

// definition is what a machine is, kept in machine.json.
type definition struct {
	Spec Spec `json:"spec"`
	// EtcImage names the staged copy of the host's /etc under the
	// machine's /etc.
	EtcImage  string    `json:"etc_image"`
	Lifecycle string    `json:"lifecycle"`
	Created   time.Time `json:"created"`
	Boots     int       `json:"boots"`
	// BootReason says why the current boot happened.
	BootReason string `json:"boot_reason"`
	// StoppedReason says why the machine had stopped when BootAll booted it
	// again.
	StoppedReason string `json:"stopped_reason,omitempty"`
	// BootError is why the last boot failed before the agent ran.
	BootError string `json:"boot_error,omitempty"`
}

func readDefinition(l layout) (*definition, error) {
	data, err := os.ReadFile(l.definition())
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("read machine definition: %w", err)
	}
	var d definition
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("parse machine definition %s: %w", l.definition(), err)
	}
	ud, err := os.ReadFile(l.userData())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read user_data: %w", err)
	}
	d.Spec.UserData = ud
	return &d, nil
}

func writeDefinition(l layout, d *definition) error {
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("encode machine definition: %w", err)
	}
	return node.WriteFileAtomic(l.definition(), data, 0o600)
}

func readInitRecord(l layout) (*node.InitRecord, error) {
	data, err := os.ReadFile(l.initRecord())
	if err != nil {
		return nil, err
	}
	var r node.InitRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("parse %s: %w", l.initRecord(), err)
	}
	return &r, nil
}

// initAlive reports whether the recorded init still runs.
func initAlive(r *node.InitRecord) bool {
	if r == nil || r.PID <= 0 {
		return false
	}
	st, err := node.ProcStartTime(r.PID)
	return err == nil && st == r.StartTime
}
