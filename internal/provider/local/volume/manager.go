package volume

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/model"
)

// Store persists the Manager's records, one JSON document per volume and
// per attachment (network.FileStore and Slipway's SQL store satisfy it).
type Store interface {
	Put(ctx context.Context, kind, id string, data []byte) error
	Delete(ctx context.Context, kind, id string) error
	List(ctx context.Context, kind string) (map[string][]byte, error)
}

// Machines finds the machines volumes are attached to.
type Machines interface {
	// InitPID returns the host PID of a running machine's init, 0 when the
	// machine exists and does not run, and an error wrapping
	// model.ErrNotFound when there is no such machine.
	InitPID(ctx context.Context, serverID string) (int, error)
}

// Record kinds in the Store.
const (
	kindVolume     = "volume"
	kindAttachment = "volume_attachment"
)

// Volume states, as Cinder names them.
const (
	StatusCreating  = "creating"
	StatusAvailable = "available"
	StatusInUse     = "in-use"
)

// Volume is a Cinder volume: a sparse file holding an ext4 filesystem.
type Volume struct {
	ID          string            `json:"id"`
	Name        string            `json:"name,omitempty"`
	Description string            `json:"description,omitempty"`
	ProjectID   string            `json:"project_id,omitempty"`
	SizeGiB     int               `json:"size"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	ReadOnly    bool              `json:"read_only,omitempty"`
	// SourceVolID is the volume this one was copied from.
	SourceVolID string    `json:"source_volid,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	// State is StatusCreating until the filesystem is made, then
	// StatusAvailable.
	State string `json:"state"`
	// Status is StatusInUse while attached, else State. Output only.
	Status string `json:"-"`
	// Attachments are the volume's live attachments. Output only.
	Attachments []Attachment `json:"-"`
}

// Attachment hands a volume to a server's machine.
type Attachment struct {
	ID       string `json:"id"`
	VolumeID string `json:"volume_id"`
	ServerID string `json:"server_id"`
	// Mountpoint is where the volume appears inside the machine. A path
	// under /dev is a block device node (the loop device); any other
	// absolute path is where the volume's filesystem is mounted. Empty
	// picks the next free /dev/vdX, as Nova does.
	Mountpoint string `json:"mountpoint"`
	// Detached is set when the server went away under the attachment:
	// nothing is attached any more.
	Detached bool `json:"detached,omitempty"`
}

// Block reports whether the attachment is a block device node rather than
// a mount.
func (a Attachment) Block() bool { return strings.HasPrefix(a.Mountpoint, "/dev/") }

// Options configure a Manager.
type Options struct {
	// Store keeps the records, StateDir the volume files, and Machines
	// finds machines. Required.
	Store    Store
	StateDir string
	Machines Machines
	// Logger receives operator logs; nil discards them.
	Logger *slog.Logger
}

// Manager creates, attaches, detaches and deletes volumes. Its methods are
// safe for concurrent use; changes are serialised.
type Manager struct {
	opts Options
	dir  string
	log  *slog.Logger

	mu      sync.Mutex
	volumes map[string]*Volume
	attachs map[string]*Attachment
}

// idPattern is what a volume or attachment id may be: it names a file.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// New returns a Manager over the records in opts.Store. It changes nothing
// on the host: call Reconcile next.
func New(ctx context.Context, opts Options) (*Manager, error) {
	if opts.Store == nil || opts.StateDir == "" || opts.Machines == nil {
		return nil, fmt.Errorf("new volume manager: %w", model.Invalidf("store, state directory and machines are required"))
	}
	if err := os.MkdirAll(opts.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("volume state: %w", err)
	}
	dir, err := filepath.Abs(opts.StateDir)
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("volume state: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{opts: opts, dir: dir, log: log, volumes: map[string]*Volume{}, attachs: map[string]*Attachment{}}
	if err := load(ctx, opts.Store, kindVolume, m.volumes); err != nil {
		return nil, err
	}
	if err := load(ctx, opts.Store, kindAttachment, m.attachs); err != nil {
		return nil, err
	}
	return m, nil
}

func load[T any](ctx context.Context, s Store, kind string, into map[string]*T) error {
	recs, err := s.List(ctx, kind)
	if err != nil {
		return fmt.Errorf("load %s records: %w", kind, err)
	}
	for id, b := range recs {
		v := new(T)
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("load %s %s: %w", kind, id, err)
		}
		into[id] = v
	}
	return nil
}

func (m *Manager) put(ctx context.Context, kind, id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", kind, id, err)
	}
	if err := m.opts.Store.Put(ctx, kind, id, b); err != nil {
		return fmt.Errorf("store %s %s: %w", kind, id, err)
	}
	return nil
}

// file is the path of a volume's file.
func (m *Manager) file(id string) string { return filepath.Join(m.dir, id+".img") }

// view returns a copy of v with its output fields set. The caller holds
// m.mu.
func (m *Manager) view(v *Volume) Volume {
	out := *v
	out.Metadata = maps.Clone(v.Metadata)
	out.Status = v.State
	for _, id := range sortedKeys(m.attachs) {
		if a := m.attachs[id]; a.VolumeID == v.ID && !a.Detached {
			out.Attachments = append(out.Attachments, *a)
			out.Status = StatusInUse
		}
	}
	return out
}

// CreateVolume creates a volume: a sparse file of the given size with an
// ext4 filesystem, or a copy of SourceVolID. Creating a volume that exists
// returns it; one whose create was interrupted is made again.
func (m *Manager) CreateVolume(ctx context.Context, v Volume) (Volume, error) {
	if !idPattern.MatchString(v.ID) {
		return Volume{}, model.Invalidf("Invalid volume id %q.", v.ID)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old := m.volumes[v.ID]; old != nil && old.State == StatusAvailable {
		return m.view(old), nil
	}
	var src *Volume
	if v.SourceVolID != "" {
		if src = m.volumes[v.SourceVolID]; src == nil || src.State != StatusAvailable {
			return Volume{}, model.NotFoundf("Volume %s could not be found.", v.SourceVolID)
		}
		if v.SizeGiB == 0 {
			v.SizeGiB = src.SizeGiB
		}
		if v.SizeGiB < src.SizeGiB {
			return Volume{}, model.Invalidf("Invalid input received: the size of volume %s must be at least %d GiB, its source's.", v.ID, src.SizeGiB)
		}
	}
	if v.SizeGiB < 1 {
		return Volume{}, model.Invalidf("Invalid input received: a volume size of at least 1 GiB is required.")
	}
	rec := v
	rec.Status, rec.Attachments = "", nil
	rec.State = StatusCreating
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = time.Now().UTC()
	}
	if err := m.put(ctx, kindVolume, rec.ID, &rec); err != nil {
		return Volume{}, fmt.Errorf("create volume %s: %w", v.ID, err)
	}
	m.volumes[rec.ID] = &rec
	if err := m.makeFile(ctx, &rec, src); err != nil {
		return Volume{}, fmt.Errorf("create volume %s: %w", v.ID, err)
	}
	next := rec
	next.State = StatusAvailable
	if err := m.put(ctx, kindVolume, rec.ID, &next); err != nil {
		return Volume{}, fmt.Errorf("create volume %s: %w", v.ID, err)
	}
	*m.volumes[rec.ID] = next
	m.log.Info("volume created", "volume", v.ID, "size_gib", v.SizeGiB)
	return m.view(m.volumes[rec.ID]), nil
}

// gib is one GiB in bytes.
const gib = 1 << 30

// makeFile writes a volume's file: a copy of src, or a new filesystem.
func (m *Manager) makeFile(ctx context.Context, v *Volume, src *Volume) error {
	p := m.file(v.ID)
	if src != nil {
		if err := copySparse(m.file(src.ID), p); err != nil {
			return err
		}
		return resize(ctx, p, int64(v.SizeGiB)*gib)
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("create volume file: %w", err)
	}
	err = f.Truncate(int64(v.SizeGiB) * gib)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("size volume file: %w", err)
	}
	return tool(ctx, "mkfs.ext4", "-q", "-F", "-m", "0", "-L", label(v),
		"-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard", p)
}

// label is a volume's ext4 label (at most 16 bytes).
func label(v *Volume) string {
	l := v.Name
	if l == "" {
		l = v.ID
	}
	l = strings.Map(func(r rune) rune {
		if r > ' ' && r < 0x7f {
			return r
		}
		return '-'
	}, l)
	if len(l) > 16 {
		l = l[:16]
	}
	return l
}

// tool runs one of e2fsprogs' programs.
func tool(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// resize grows a volume file and its filesystem to size bytes.
func resize(ctx context.Context, p string, size int64) error {
	st, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("volume file: %w", err)
	}
	if st.Size() >= size {
		return nil
	}
	if err := os.Truncate(p, size); err != nil {
		return fmt.Errorf("grow volume file: %w", err)
	}
	// e2fsck exits 1 when it corrected something: the filesystem is then
	// fine.
	if err := tool(ctx, "e2fsck", "-f", "-y", p); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			return err
		}
	}
	return tool(ctx, "resize2fs", "-f", p)
}

// copySparse copies a volume file, leaving holes where the source has
// them.
func copySparse(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("open source volume: %w", err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("create volume file: %w", err)
	}
	st, err := src.Stat()
	if err == nil {
		err = dst.Truncate(st.Size())
	}
	buf := make([]byte, 1<<20)
	var off int64
	for err == nil {
		var n int
		n, err = src.ReadAt(buf, off)
		if n > 0 && !allZero(buf[:n]) {
			if _, werr := dst.WriteAt(buf[:n], off); werr != nil {
				err = werr
			}
		}
		off += int64(n)
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy volume: %w", err)
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// hasFilesystem reports whether the volume file holds an ext4 superblock.
func hasFilesystem(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 2)
	if _, err := f.ReadAt(b, 1024+0x38); err != nil {
		return false
	}
	return binary.LittleEndian.Uint16(b) == 0xEF53
}

// GetVolume returns a volume with its status and attachments.
func (m *Manager) GetVolume(_ context.Context, id string) (Volume, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.volumes[id]
	if v == nil {
		return Volume{}, model.NotFoundf("Volume %s could not be found.", id)
	}
	return m.view(v), nil
}

// Exists reports whether a volume was created completely and its file is
// intact: what a create interrupted by a crash is checked against.
func (m *Manager) Exists(_ context.Context, id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.volumes[id]
	return v != nil && v.State == StatusAvailable && hasFilesystem(m.file(id))
}

// UpdateVolume changes a volume's name, description, metadata and
// read-only flag, and grows it to a larger SizeGiB while it is detached.
func (m *Manager) UpdateVolume(ctx context.Context, u Volume) (Volume, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.volumes[u.ID]
	if v == nil {
		return Volume{}, model.NotFoundf("Volume %s could not be found.", u.ID)
	}
	next := *v
	next.Name, next.Description, next.Metadata, next.ReadOnly = u.Name, u.Description, maps.Clone(u.Metadata), u.ReadOnly
	if u.SizeGiB != 0 && u.SizeGiB != v.SizeGiB {
		if u.SizeGiB < v.SizeGiB {
			return Volume{}, model.Invalidf("Invalid input received: New size for extend must be greater than current size. (current: %d, extended: %d).", v.SizeGiB, u.SizeGiB)
		}
		if m.view(v).Status == StatusInUse {
			return Volume{}, model.Conflictf("Invalid volume: Volume %s is attached; the local provider extends detached volumes only.", v.ID)
		}
		if err := resize(ctx, m.file(v.ID), int64(u.SizeGiB)*gib); err != nil {
			return Volume{}, fmt.Errorf("extend volume %s: %w", v.ID, err)
		}
		next.SizeGiB = u.SizeGiB
	}
	if err := m.put(ctx, kindVolume, v.ID, &next); err != nil {
		return Volume{}, fmt.Errorf("update volume %s: %w", v.ID, err)
	}
	*v = next
	return m.view(v), nil
}

// DeleteVolume deletes a detached volume and its file. Deleting a volume
// that does not exist is a success.
func (m *Manager) DeleteVolume(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.volumes[id]
	if v == nil {
		return nil
	}
	if m.view(v).Status == StatusInUse {
		return model.Conflictf("Invalid volume: Volume %s status must be available or error, but current status is: in-use.", id)
	}
	if err := m.deleteVolume(ctx, id); err != nil {
		return fmt.Errorf("delete volume %s: %w", id, err)
	}
	m.log.Info("volume deleted", "volume", id)
	return nil
}

// deleteVolume removes a volume's loop devices, file and record. The
// caller holds m.mu.
func (m *Manager) deleteVolume(ctx context.Context, id string) error {
	p := m.file(id)
	if err := releaseLoops(p); err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove volume file: %w", err)
	}
	if err := m.opts.Store.Delete(ctx, kindVolume, id); err != nil {
		return fmt.Errorf("forget volume: %w", err)
	}
	delete(m.volumes, id)
	return nil
}

// ListVolumes returns every volume, sorted by id.
func (m *Manager) ListVolumes(_ context.Context) []Volume {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Volume, 0, len(m.volumes))
	for _, id := range sortedKeys(m.volumes) {
		out = append(out, m.view(m.volumes[id]))
	}
	return out
}

// validMountpoint checks an attachment's mount point: an absolute, clean
// path without white space, outside what a machine's root is made of.
func validMountpoint(p string) error {
	if p == "" {
		return nil
	}
	if !path.IsAbs(p) || path.Clean(p) != p || strings.ContainsAny(p, " \t\n\\") {
		return model.Invalidf("Invalid mountpoint %q: an absolute path is required.", p)
	}
	if strings.HasPrefix(p, "/dev/") {
		if strings.Count(p, "/") != 2 {
			return model.Invalidf("Invalid mountpoint %q: a device name such as /dev/vdb is required.", p)
		}
		return nil
	}
	switch p {
	case "/", "/etc", "/var", "/run", "/tmp", "/root", "/home", "/dev":
		return model.Invalidf("Invalid mountpoint %q: the path is part of the machine's root.", p)
	}
	for _, top := range []string{"/proc", "/sys", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"} {
		if p == top || strings.HasPrefix(p, top+"/") {
			return model.Invalidf("Invalid mountpoint %q: the path is part of the machine's root.", p)
		}
	}
	return nil
}

// nextDevice picks the first /dev/vdX (from vdb) no attachment of the
// server uses. The caller holds m.mu.
func (m *Manager) nextDevice(serverID, except string) string {
	used := map[string]bool{}
	for _, a := range m.attachs {
		if a.ServerID == serverID && a.ID != except && !a.Detached {
			used[a.Mountpoint] = true
		}
	}
	for c := 'b'; c <= 'z'; c++ {
		if d := "/dev/vd" + string(c); !used[d] {
			return d
		}
	}
	return "/dev/vdz"
}

// Attach records an attachment and hands the volume to the server's
// running machine. Attaching again (after a crash, or with the same
// values) is safe; changing the volume, server or mount point of an
// existing attachment moves it.
func (m *Manager) Attach(ctx context.Context, a Attachment) (Attachment, error) {
	if !idPattern.MatchString(a.ID) {
		return Attachment{}, model.Invalidf("Invalid attachment id %q.", a.ID)
	}
	if err := validMountpoint(a.Mountpoint); err != nil {
		return Attachment{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.volumes[a.VolumeID]
	if v == nil || v.State != StatusAvailable {
		return Attachment{}, model.NotFoundf("Volume %s could not be found.", a.VolumeID)
	}
	for _, o := range m.attachs {
		if o.ID != a.ID && o.VolumeID == a.VolumeID && !o.Detached {
			return Attachment{}, model.Conflictf("Invalid volume: Volume %s is already attached to server %s.", a.VolumeID, o.ServerID)
		}
	}
	pid, err := m.opts.Machines.InitPID(ctx, a.ServerID)
	if err != nil {
		return Attachment{}, fmt.Errorf("attach volume %s: %w", a.VolumeID, err)
	}
	if pid == 0 {
		return Attachment{}, model.Conflictf("Cannot attach volume %s: server %s is not running.", a.VolumeID, a.ServerID)
	}
	if a.Mountpoint == "" {
		if old := m.attachs[a.ID]; old != nil && old.ServerID == a.ServerID && old.VolumeID == a.VolumeID {
			a.Mountpoint = old.Mountpoint
		} else {
			a.Mountpoint = m.nextDevice(a.ServerID, a.ID)
		}
	}
	if old := m.attachs[a.ID]; old != nil && (old.ServerID != a.ServerID || old.VolumeID != a.VolumeID || old.Mountpoint != a.Mountpoint) {
		if err := m.detach(ctx, old); err != nil {
			return Attachment{}, fmt.Errorf("move attachment %s: %w", a.ID, err)
		}
	}
	a.Detached = false
	rec := a
	if err := m.put(ctx, kindAttachment, a.ID, &rec); err != nil {
		return Attachment{}, fmt.Errorf("attach volume %s: %w", a.VolumeID, err)
	}
	m.attachs[a.ID] = &rec
	if err := m.apply(ctx, &rec, inMachine{pid: pid}); err != nil {
		return Attachment{}, fmt.Errorf("attach volume %s to server %s: %w", a.VolumeID, a.ServerID, err)
	}
	m.log.Info("volume attached", "volume", a.VolumeID, "server", a.ServerID, "mountpoint", a.Mountpoint)
	return rec, nil
}

// apply makes the machine hold the attachment: a device node, or a mount
// of the filesystem. It is idempotent. The caller holds m.mu.
func (m *Manager) apply(ctx context.Context, a *Attachment, mach inMachine) error {
	v := m.volumes[a.VolumeID]
	ro := v != nil && v.ReadOnly
	// A mount holds the loop device open; autoclear then releases it when
	// the machine's mount namespace goes. A device node may be opened and
	// closed at will inside, so its loop device is released explicitly.
	dev, f, err := attachLoop(m.file(a.VolumeID), ro, !a.Block())
	if err != nil {
		return err
	}
	defer f.Close()
	if a.Block() {
		return mach.mknod(a.Mountpoint, dev.rdev)
	}
	if ok, err := mach.mounted(a.Mountpoint, dev.rdev); err != nil || ok {
		return err
	}
	if err := mach.mkdir(a.Mountpoint); err != nil {
		return err
	}
	node := "/dev/.slipway-" + a.ID
	if err := mach.mknod(node, dev.rdev); err != nil {
		return err
	}
	defer func() { _ = mach.removeNode(node) }()
	opts := "rw"
	if ro {
		opts = "ro"
	}
	return mach.run(ctx, "mount", "-t", "ext4", "-o", opts, node, a.Mountpoint)
}

// detach takes an attachment back from its machine, if the machine runs,
// and releases the loop device. The caller holds m.mu.
func (m *Manager) detach(ctx context.Context, a *Attachment) error {
	var errs []error
	if pid, err := m.opts.Machines.InitPID(ctx, a.ServerID); err == nil && pid > 0 && !a.Detached {
		mach := inMachine{pid: pid}
		if a.Block() {
			errs = append(errs, mach.removeNode(a.Mountpoint))
		} else if devs, err := loopsBacking(m.file(a.VolumeID)); err != nil {
			errs = append(errs, err)
		} else {
			for _, d := range devs {
				ok, err := mach.mounted(a.Mountpoint, d.rdev)
				if err != nil || !ok {
					errs = append(errs, err)
					continue
				}
				if err := mach.run(ctx, "umount", a.Mountpoint); err != nil {
					m.log.Warn("volume busy; detaching lazily", "volume", a.VolumeID, "server", a.ServerID, "err", err)
					errs = append(errs, mach.run(ctx, "umount", "-l", a.Mountpoint))
				}
			}
		}
	}
	errs = append(errs, releaseLoops(m.file(a.VolumeID)))
	return errors.Join(errs...)
}

// Detach takes a volume back from its server and forgets the attachment.
// Detaching an attachment that does not exist is a success.
func (m *Manager) Detach(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.attachs[id]
	if a == nil {
		return nil
	}
	if err := m.detach(ctx, a); err != nil {
		return fmt.Errorf("detach volume %s from server %s: %w", a.VolumeID, a.ServerID, err)
	}
	if err := m.opts.Store.Delete(ctx, kindAttachment, id); err != nil {
		return fmt.Errorf("detach volume %s: %w", a.VolumeID, err)
	}
	delete(m.attachs, id)
	m.log.Info("volume detached", "volume", a.VolumeID, "server", a.ServerID)
	return nil
}

// GetAttachment returns an attachment.
func (m *Manager) GetAttachment(_ context.Context, id string) (Attachment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.attachs[id]
	if a == nil {
		return Attachment{}, model.NotFoundf("Volume attachment %s could not be found.", id)
	}
	return *a, nil
}

// Attached reports whether an attachment's volume is in its running
// machine now.
func (m *Manager) Attached(ctx context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.attachs[id]
	if a == nil || a.Detached {
		return false, nil
	}
	pid, err := m.opts.Machines.InitPID(ctx, a.ServerID)
	if err != nil || pid == 0 {
		return false, nil
	}
	devs, err := loopsBacking(m.file(a.VolumeID))
	if err != nil || len(devs) == 0 {
		return false, err
	}
	mach := inMachine{pid: pid}
	if a.Block() {
		r, err := mach.root()
		if err != nil {
			return false, err
		}
		defer r.Close()
		st, err := r.Lstat(rel(a.Mountpoint))
		return err == nil && st.Mode()&fs.ModeDevice != 0, nil
	}
	return mach.mounted(a.Mountpoint, devs[0].rdev)
}

// ReleaseServer marks the attachments of a deleted server detached and
// releases their loop devices: the machine, and its mounts, are gone.
func (m *Manager) ReleaseServer(ctx context.Context, serverID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, id := range sortedKeys(m.attachs) {
		a := m.attachs[id]
		if a.ServerID != serverID || a.Detached {
			continue
		}
		errs = append(errs, releaseLoops(m.file(a.VolumeID)))
		next := *a
		next.Detached = true
		if err := m.put(ctx, kindAttachment, id, &next); err != nil {
			errs = append(errs, err)
			continue
		}
		*a = next
	}
	return errors.Join(errs...)
}

// Reattach hands every recorded attachment to its machine again where the
// machine runs: after machines were booted again.
func (m *Manager) Reattach(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, id := range sortedKeys(m.attachs) {
		a := m.attachs[id]
		if a.Detached {
			continue
		}
		pid, err := m.opts.Machines.InitPID(ctx, a.ServerID)
		if err != nil || pid == 0 {
			continue
		}
		if err := m.apply(ctx, a, inMachine{pid: pid}); err != nil {
			errs = append(errs, fmt.Errorf("reattach volume %s to server %s: %w", a.VolumeID, a.ServerID, err))
		}
	}
	return errors.Join(errs...)
}

// Reconcile removes what the caller does not know: attachments whose id,
// volume or server is not in known, and volumes whose id is not, with
// their files and loop devices. Files no record names and loop devices
// that no live attachment needs are removed too. Running it twice has the
// effect of running it once.
func (m *Manager) Reconcile(ctx context.Context, known map[string]bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, id := range sortedKeys(m.attachs) {
		a := m.attachs[id]
		if known[id] && known[a.VolumeID] && known[a.ServerID] {
			continue
		}
		m.log.Info("removing an attachment no resource owns", "attachment", id, "volume", a.VolumeID, "server", a.ServerID)
		if err := m.detach(ctx, a); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := m.opts.Store.Delete(ctx, kindAttachment, id); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(m.attachs, id)
	}
	for _, id := range sortedKeys(m.volumes) {
		if !known[id] {
			m.log.Info("removing a volume no resource owns", "volume", id)
			errs = append(errs, m.deleteVolume(ctx, id))
		}
	}
	entries, err := os.ReadDir(m.dir)
	if err != nil {
		errs = append(errs, fmt.Errorf("list volume files: %w", err))
	}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".img")
		if ok && m.volumes[id] != nil {
			if live := slices.ContainsFunc(sortedKeys(m.attachs), func(aid string) bool {
				a := m.attachs[aid]
				return a.VolumeID == id && !a.Detached
			}); !live {
				errs = append(errs, releaseLoops(m.file(id)))
			}
			continue
		}
		p := filepath.Join(m.dir, e.Name())
		m.log.Info("removing a leftover volume file", "file", p)
		errs = append(errs, releaseLoops(p))
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", p, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("reconcile volumes: %w", err)
	}
	return nil
}

func sortedKeys[V any](mp map[string]V) []string {
	keys := make([]string, 0, len(mp))
	for k := range mp {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
