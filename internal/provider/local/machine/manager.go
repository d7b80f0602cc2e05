package machine

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/slipway/slipway/internal/node"
)

// Config configures a Manager.
type Config struct {
	// StateDir holds the machines' definitions and disks. It must not be
	// inside a directory that machines see (/usr, /lib, …). Machines never
	// see it.
	StateDir string
	// Command runs `slipway node`: the executable and the arguments that
	// select the node command. Default: os.Executable() and "node".
	Command []string
	// CgroupRoot is the path, in every cgroup hierarchy, under which the
	// machines' cgroups live. Default: "slipway/" and 8 hex digits of a
	// hash of StateDir, so that two state directories never touch each
	// other's machines.
	CgroupRoot string
	// Log receives operators' messages; slog.Default() when nil.
	Log *slog.Logger
}

// Manager creates, boots, adopts and deletes machines. Its methods are
// safe for concurrent use; one Manager owns a state directory at a time.
type Manager struct {
	stateDir string
	dir      string
	command  []string
	cg       *cgroups
	userland []hostPath
	// etcImage is the staged /etc new machines get.
	etcImage string
	log      *slog.Logger

	mu      sync.Mutex
	locks   map[string]*sync.Mutex
	booting map[string]bool
	// cgMu serializes creating and removing cgroups, which share the root
	// directories.
	cgMu sync.Mutex
}

// killTimeout bounds the time a machine's processes take to die.
const killTimeout = 10 * time.Second

// New returns a Manager over cfg.StateDir. It needs root.
func New(ctx context.Context, cfg Config) (*Manager, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: local machines need root", ErrUnsupported)
	}
	if cfg.StateDir == "" {
		return nil, fmt.Errorf("%w: no state directory", ErrInvalid)
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("machine state: %w", err)
	}
	state, err := filepath.Abs(cfg.StateDir)
	if err == nil {
		state, err = filepath.EvalSymlinks(state)
	}
	if err != nil {
		return nil, fmt.Errorf("machine state: %w", err)
	}
	if strings.ContainsAny(state, ",:\\") {
		// They would break overlayfs's mount options.
		return nil, fmt.Errorf("%w: state directory %s contains one of , : \\", ErrInvalid, state)
	}
	userland, err := hostUserland()
	if err != nil {
		return nil, err
	}
	for _, u := range userland {
		if state == "/"+u.name || strings.HasPrefix(state, "/"+u.name+"/") {
			return nil, fmt.Errorf("%w: state directory %s is inside /%s, which machines see", ErrInvalid, state, u.name)
		}
	}
	command := cfg.Command
	if len(command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find slipway's executable: %w", err)
		}
		command = []string{exe, "node"}
		// The agent alone, when it was built next to slipway, costs every
		// machine a fraction of the whole program's pages.
		if agent := filepath.Join(filepath.Dir(exe), AgentExecutable); isExecutable(agent) {
			command[0] = agent
		}
	}
	root := cfg.CgroupRoot
	if root == "" {
		sum := sha256.Sum256([]byte(state))
		root = "slipway/" + hex.EncodeToString(sum[:4])
	}
	root = strings.Trim(filepath.Clean("/"+root), "/")
	if root == "" || strings.Contains(root, "..") {
		return nil, fmt.Errorf("%w: cgroup root %q", ErrInvalid, cfg.CgroupRoot)
	}
	cg, err := detectCgroups(root)
	if err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	m := &Manager{
		stateDir: state, dir: filepath.Join(state, "machines"), command: command, cg: cg,
		userland: userland, log: log, locks: map[string]*sync.Mutex{}, booting: map[string]bool{},
	}
	if err := os.MkdirAll(m.dir, 0o700); err != nil {
		return nil, fmt.Errorf("machine state: %w", err)
	}
	if m.etcImage, err = stageEtc(state); err != nil {
		return nil, err
	}
	return m, ctx.Err()
}

// CgroupRoot returns the path under which the machines' cgroups live in
// every hierarchy.
func (m *Manager) CgroupRoot() string { return m.cg.root }

// cgroupPath is a machine's cgroup path, the same in every hierarchy.
func (m *Manager) cgroupPath(id string) string { return "/" + m.cg.root + "/" + id }

func (m *Manager) layout(id string) layout { return layout{dir: filepath.Join(m.dir, id)} }

// lock serializes the operations on one machine.
func (m *Manager) lock(id string) func() {
	m.mu.Lock()
	l, ok := m.locks[id]
	if !ok {
		l = &sync.Mutex{}
		m.locks[id] = l
	}
	m.mu.Unlock()
	l.Lock()
	return l.Unlock
}

func (m *Manager) setBooting(id string, on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if on {
		m.booting[id] = true
	} else {
		delete(m.booting, id)
	}
}

func (m *Manager) isBooting(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.booting[id]
}

// Create defines a machine and boots it. It returns once the machine's
// init runs, in BUILD; the machine turns ACTIVE when its agent is up (see
// Wait). A boot that fails leaves the machine defined, in ERROR.
func (m *Manager) Create(ctx context.Context, spec Spec) (*Machine, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	defer m.lock(spec.ID)()
	l := m.layout(spec.ID)
	if err := os.Mkdir(l.dir, 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create machine %s: %w", spec.ID, ErrExists)
		}
		return nil, fmt.Errorf("create machine %s: %w", spec.ID, err)
	}
	d := &definition{Spec: spec, Lifecycle: lifeCreating, Created: time.Now().UTC(), EtcImage: m.etcImage}
	err := os.WriteFile(l.userData(), spec.UserData, 0o600)
	if err == nil {
		err = writeDefinition(l, d)
	}
	if err == nil {
		err = prepareDisk(l, m.userland)
	}
	if err == nil {
		d.Lifecycle = lifeRunning
		err = writeDefinition(l, d)
	}
	if err != nil {
		_ = os.RemoveAll(l.dir)
		return nil, fmt.Errorf("create machine %s: %w", spec.ID, err)
	}
	m.log.Info("machine created", "machine", spec.ID, "name", spec.Name)
	if err := m.boot(ctx, l, d, bootCreate); err != nil {
		return nil, err
	}
	return m.get(l, spec.ID)
}

// boot starts a defined machine whose processes are all gone.
func (m *Manager) boot(ctx context.Context, l layout, d *definition, reason string) error {
	id := d.Spec.ID
	m.setBooting(id, true)
	defer m.setBooting(id, false)
	err := m.bootSteps(ctx, l, d, reason)
	if err != nil {
		d.BootError = err.Error()
		_ = writeDefinition(l, d)
		m.log.Error("machine boot failed", "machine", id, "err", err)
		return fmt.Errorf("boot machine %s: %w", id, err)
	}
	m.log.Info("machine booted", "machine", id, "boot", d.Boots, "reason", reason)
	return nil
}

func (m *Manager) bootSteps(ctx context.Context, l layout, d *definition, reason string) error {
	s := d.Spec
	if s.NetnsPath != "" {
		if _, err := os.Stat(s.NetnsPath); err != nil {
			return fmt.Errorf("network namespace: %w", err)
		}
	}
	if err := prepareBoot(l, d); err != nil {
		return err
	}
	m.cgMu.Lock()
	// A machine booted again (its agent died, or the host rebooted without
	// clearing cgroups) may still have the empty cgroups its software made,
	// such as kubelet's pod cgroups: start from none, as a fresh boot does.
	if pids, err := m.cg.pids(s.ID); err == nil && len(pids) == 0 {
		if err := m.cg.remove(s.ID); err != nil {
			m.log.Warn("leftover cgroups of a machine booted again", "machine", s.ID, "error", err)
		}
	}
	err := m.cg.create(s.ID, s.Flavor)
	m.cgMu.Unlock()
	if err != nil {
		return err
	}
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	d.Boots++
	d.BootReason, d.BootError = reason, ""
	if reason != bootAgain {
		d.StoppedReason = ""
	}
	if err := writeDefinition(l, d); err != nil {
		return err
	}
	plan := bootPlan(l, d, m.stateDir, m.userland, m.cgroupPath(s.ID), m.cg.systemDirs(s.ID), m.command, hex.EncodeToString(nonce))
	data, err := json.MarshalIndent(plan, "", "  ")
	if err != nil {
		return fmt.Errorf("encode boot plan: %w", err)
	}
	if err := node.WriteFileAtomic(l.plan(), data, 0o600); err != nil {
		return err
	}
	if err := os.Remove(l.initRecord()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("boot: %w", err)
	}
	args := append(append([]string{}, m.command[1:]...), "launch", l.plan())
	cmd := exec.CommandContext(ctx, m.command[0], args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("launch: %w: %s", err, strings.TrimSpace(out.String()))
	}
	rec, err := readInitRecord(l)
	if err != nil {
		return fmt.Errorf("launch: %w", err)
	}
	if rec.Nonce != plan.Nonce {
		return fmt.Errorf("launch: init record is not this boot's")
	}
	return nil
}

// Get returns a machine as it is now.
func (m *Manager) Get(ctx context.Context, id string) (*Machine, error) {
	if !idPattern.MatchString(id) {
		return nil, fmt.Errorf("machine %s: %w", id, ErrNotFound)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return m.get(m.layout(id), id)
}

// Status returns a machine's state and, for ERROR and SHUTOFF, the reason.
func (m *Manager) Status(ctx context.Context, id string) (State, string, error) {
	mach, err := m.Get(ctx, id)
	if err != nil {
		return "", "", err
	}
	return mach.State, mach.Reason, nil
}

func (m *Manager) get(l layout, id string) (*Machine, error) {
	d, err := readDefinition(l)
	if err != nil {
		return nil, fmt.Errorf("machine %s: %w", id, err)
	}
	s := d.Spec
	mach := &Machine{ID: s.ID, Name: s.Name, Flavor: s.Flavor, Boots: d.Boots, Created: d.Created,
		Netns: s.NetnsPath, Cgroup: m.cgroupPath(s.ID)}
	switch d.Lifecycle {
	case lifeCreating:
		mach.State = StateBuild
		return mach, nil
	case lifeDeleting:
		mach.State = StateDeleting
		return mach, nil
	}
	rec, _ := readInitRecord(l)
	alive := initAlive(rec)
	if alive {
		mach.InitPID = rec.PID
		if mach.Netns == "" {
			mach.Netns = fmt.Sprintf("/proc/%d/ns/net", rec.PID)
		}
	}
	if rec != nil {
		mach.Agent = readAgentStatus(l, rec.Nonce)
	}
	st := mach.Agent
	switch {
	case alive && st != nil && (st.State == node.StateUp || st.State == node.StateStopping):
		mach.State = StateActive
		if d.BootReason == bootAgain && d.StoppedReason != "" {
			mach.Reason = "booted again after: " + d.StoppedReason
		}
	case st != nil && st.State == node.StateFailed:
		mach.State, mach.Reason = StateError, "boot failed: "+st.Reason
	case alive || m.isBooting(id):
		mach.State = StateBuild
	case d.BootError != "":
		mach.State, mach.Reason = StateError, d.BootError
	case rec == nil:
		mach.State, mach.Reason = StateError, "the machine has no running init"
	default:
		mach.State, mach.Reason = stoppedState(rec)
	}
	return mach, nil
}

// stoppedState says why a machine whose init is gone is not running.
func stoppedState(rec *node.InitRecord) (State, string) {
	if boot, err := node.HostBootID(); err == nil && boot != rec.BootID {
		return StateShutoff, "the host restarted since the machine booted"
	}
	return StateError, fmt.Sprintf("the machine agent (pid %d) is no longer running: it was killed or crashed (see the console log)", rec.PID)
}

// readAgentStatus reads the agent's status for the boot with this nonce.
func readAgentStatus(l layout, nonce string) *node.Status {
	r, err := os.OpenRoot(l.disk())
	if err != nil {
		return nil
	}
	defer r.Close()
	data, err := r.ReadFile(strings.TrimPrefix(node.StatusFile, "/"))
	if err != nil {
		return nil
	}
	st, err := node.DecodeStatus(data)
	if err != nil || st.Nonce != nonce {
		return nil
	}
	return st
}

// List returns every machine, sorted by id.
func (m *Manager) List(ctx context.Context) ([]*Machine, error) {
	ids, err := m.definedIDs()
	if err != nil {
		return nil, err
	}
	out := make([]*Machine, 0, len(ids))
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		mach, err := m.get(m.layout(id), id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, mach)
	}
	return out, nil
}

func (m *Manager) definedIDs() ([]string, error) {
	entries, err := os.ReadDir(m.dir)
	if err != nil {
		return nil, fmt.Errorf("list machines: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && idPattern.MatchString(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}

// Wait waits until a machine has left BUILD and returns it.
func (m *Manager) Wait(ctx context.Context, id string) (*Machine, error) {
	delay := 2 * time.Millisecond
	for {
		mach, err := m.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if mach.State != StateBuild {
			return mach, nil
		}
		select {
		case <-ctx.Done():
			return mach, fmt.Errorf("wait for machine %s: %w", id, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// Delete removes a machine: every process (found through its cgroups and
// its init, never by name), its cgroups and its files. Deleting a machine
// that does not exist succeeds, after removing whatever cgroups are left
// under its id.
func (m *Manager) Delete(ctx context.Context, id string) error {
	if !idPattern.MatchString(id) {
		return nil
	}
	defer m.lock(id)()
	l := m.layout(id)
	d, err := readDefinition(l)
	if err == nil {
		d.Lifecycle = lifeDeleting
		if err := writeDefinition(l, d); err != nil {
			return fmt.Errorf("delete machine %s: %w", id, err)
		}
	}
	if err := m.destroy(ctx, l, id); err != nil {
		return fmt.Errorf("delete machine %s: %w", id, err)
	}
	m.log.Info("machine deleted", "machine", id)
	return nil
}

// destroy kills a machine's processes and removes its cgroups and files.
func (m *Manager) destroy(ctx context.Context, l layout, id string) error {
	if err := m.stop(ctx, l, id); err != nil {
		return err
	}
	m.cgMu.Lock()
	err := m.cg.remove(id)
	m.cgMu.Unlock()
	if err != nil {
		return err
	}
	if err := mountedUnder(l.dir); err != nil {
		return err
	}
	if err := os.RemoveAll(l.dir); err != nil {
		return fmt.Errorf("remove files: %w", err)
	}
	return nil
}

// stop kills every process of a machine.
func (m *Manager) stop(ctx context.Context, l layout, id string) error {
	var extra []int
	if rec, err := readInitRecord(l); err == nil && initAlive(rec) {
		extra = append(extra, rec.PID)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return m.cg.kill(id, extra, killTimeout)
}

// Reboot kills a machine's processes and boots it again from its
// definition; its disk (/etc, /var, /root, /home) persists.
func (m *Manager) Reboot(ctx context.Context, id string) error {
	defer m.lock(id)()
	l := m.layout(id)
	d, err := readDefinition(l)
	if err != nil {
		return fmt.Errorf("reboot machine %s: %w", id, err)
	}
	if d.Lifecycle != lifeRunning {
		return fmt.Errorf("reboot machine %s: %w: it is %s", id, ErrInvalid, d.Lifecycle)
	}
	if err := m.stop(ctx, l, id); err != nil {
		return fmt.Errorf("reboot machine %s: %w", id, err)
	}
	return m.boot(ctx, l, d, bootReboot)
}

// BootAll boots every defined machine whose init is not running, as a
// cloud restarts its servers after a host reboot. A network namespace a
// machine joins must exist again first. It returns the ids it booted.
func (m *Manager) BootAll(ctx context.Context) ([]string, error) {
	ids, err := m.definedIDs()
	if err != nil {
		return nil, err
	}
	var (
		mu     sync.Mutex
		booted []string
		errs   []error
		wg     sync.WaitGroup
		sem    = make(chan struct{}, 4)
	)
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ok, err := m.bootIfStopped(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				booted = append(booted, id)
			}
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	slices.Sort(booted)
	return booted, errors.Join(errs...)
}

func (m *Manager) bootIfStopped(ctx context.Context, id string) (bool, error) {
	defer m.lock(id)()
	l := m.layout(id)
	d, err := readDefinition(l)
	if err != nil || d.Lifecycle != lifeRunning {
		return false, nil
	}
	rec, _ := readInitRecord(l)
	if initAlive(rec) {
		return false, nil
	}
	if rec != nil {
		_, d.StoppedReason = stoppedState(rec)
	} else {
		d.StoppedReason = "the machine had not booted"
	}
	// What is left of the old boot (a half-killed machine) goes first.
	if err := m.stop(ctx, l, id); err != nil {
		return false, fmt.Errorf("boot machine %s: %w", id, err)
	}
	if err := m.boot(ctx, l, d, bootAgain); err != nil {
		return false, err
	}
	return true, nil
}

// AdoptReport says what Adopt found.
type AdoptReport struct {
	// Running machines were re-attached.
	Running []string
	// Stopped machines should run and do not; BootAll boots them.
	Stopped []string
	// Removed are leftovers: half-created or half-deleted machines, and
	// cgroups that no machine owns, with their processes.
	Removed []string
}

// Adopt takes over the machines of the state directory after Slipway
// (re)starts: running machines are re-attached, leftovers of a crash are
// removed. Call it once at start-up, before the other methods.
func (m *Manager) Adopt(ctx context.Context) (*AdoptReport, error) {
	rep := &AdoptReport{}
	ids, err := m.definedIDs()
	if err != nil {
		return nil, err
	}
	var errs []error
	known := map[string]bool{}
	images := map[string]bool{}
	for _, id := range ids {
		l := m.layout(id)
		d, err := readDefinition(l)
		if err == nil && d.Lifecycle == lifeRunning {
			known[id] = true
			images[d.EtcImage] = true
			rec, _ := readInitRecord(l)
			if initAlive(rec) {
				rep.Running = append(rep.Running, id)
			} else {
				rep.Stopped = append(rep.Stopped, id)
			}
			continue
		}
		m.log.Warn("removing leftover machine", "machine", id, "definition", errString(err))
		unlock := m.lock(id)
		if err := m.destroy(ctx, l, id); err != nil {
			errs = append(errs, fmt.Errorf("remove leftover machine %s: %w", id, err))
		} else {
			rep.Removed = append(rep.Removed, id)
		}
		unlock()
	}
	cgIDs, err := m.cg.ids()
	if err != nil {
		return nil, err
	}
	for _, id := range cgIDs {
		if known[id] || slices.Contains(rep.Removed, id) {
			continue
		}
		m.log.Warn("removing cgroups no machine owns", "machine", id)
		unlock := m.lock(id)
		err := m.cg.kill(id, nil, killTimeout)
		if err == nil {
			m.cgMu.Lock()
			err = m.cg.remove(id)
			m.cgMu.Unlock()
		}
		unlock()
		if err != nil {
			errs = append(errs, fmt.Errorf("remove leftover cgroups %s: %w", id, err))
			continue
		}
		rep.Removed = append(rep.Removed, id)
	}
	if err := removeUnusedImages(m.stateDir, images, m.etcImage); err != nil {
		errs = append(errs, err)
	}
	m.log.Info("machines adopted", "running", len(rep.Running), "stopped", len(rep.Stopped), "removed", len(rep.Removed))
	return rep, errors.Join(errs...)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// ConsoleLog returns the last lines of a machine's console log (all of it
// for lines <= 0): the agent's messages and the output of user_data
// scripts, as `openstack console log show` shows a server's.
func (m *Manager) ConsoleLog(ctx context.Context, id string, lines int) (string, error) {
	if !idPattern.MatchString(id) {
		return "", fmt.Errorf("machine %s: %w", id, ErrNotFound)
	}
	l := m.layout(id)
	if _, err := os.Stat(l.definition()); err != nil {
		return "", fmt.Errorf("machine %s: %w", id, ErrNotFound)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	r, err := os.OpenRoot(l.disk())
	if err != nil {
		return "", fmt.Errorf("console log of %s: %w", id, err)
	}
	defer r.Close()
	data, err := r.ReadFile(strings.TrimPrefix(node.ConsoleLog, "/"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("console log of %s: %w", id, err)
	}
	if lines > 0 {
		all := strings.SplitAfter(string(data), "\n")
		if all[len(all)-1] == "" {
			all = all[:len(all)-1]
		}
		if len(all) > lines {
			all = all[len(all)-lines:]
		}
		return strings.Join(all, ""), nil
	}
	return string(data), nil
}

// AgentExecutable is the agent-only build of `slipway node`
// (cmd/slipway-node), used when it sits next to the slipway executable.
const AgentExecutable = "slipway-node"

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
