package artifacts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultDir is the cache directory used when neither the Dir option nor
// EnvCacheDir says otherwise. It is shared by every data directory on the
// host.
const DefaultDir = "/var/cache/slipway"

// EnvCacheDir names the environment variable that overrides DefaultDir.
const EnvCacheDir = "SLIPWAY_CACHE_DIR"

// DefaultProgressInterval is how often a running build reports progress.
const DefaultProgressInterval = 15 * time.Second

// Sentinel errors.
var (
	// ErrNotCached means the version has not been built.
	ErrNotCached = errors.New("not in the artifacts cache")
	// ErrNotFound means a named file or image does not exist.
	ErrNotFound = errors.New("not found")
	// ErrBadVersion means a version string is malformed.
	ErrBadVersion = errors.New("malformed version, want vMAJOR.MINOR.PATCH")
	// ErrUnsupportedVersion means a version is too old for Slipway.
	ErrUnsupportedVersion = errors.New("unsupported version")
)

// Dir returns the cache directory from the environment: $SLIPWAY_CACHE_DIR,
// else DefaultDir.
func Dir() string {
	if d := os.Getenv(EnvCacheDir); d != "" {
		return d
	}
	return DefaultDir
}

// Options configures a Cache.
type Options struct {
	// Dir is the cache directory; empty means Dir().
	Dir string
	// Go is the go command; empty means go on PATH, else /usr/local/go/bin/go.
	Go string
	// Log receives operator logs; nil discards them.
	Log *slog.Logger
	// Progress, if set, receives build progress events. It is called from
	// the building goroutine and must not block for long.
	Progress func(Event)
	// ProgressInterval is how often a running step reports; zero means
	// DefaultProgressInterval.
	ProgressInterval time.Duration
}

// Cache is the host's artifacts cache: content-addressed build objects and
// one manifest per Kubernetes version. It is safe for concurrent use, also
// by several processes: builds of the same object or version are serialised
// with file locks, and a waiter reuses what the first builder made.
type Cache struct {
	dir  string
	opts Options
	log  *slog.Logger

	goOnce sync.Once
	gotool *goTool
	goErr  error

	// builders make objects; tests replace entries to count builds.
	builders map[string]objectBuilder
}

// objectBuilder makes an object's files in out.
type objectBuilder func(ctx context.Context, c *Cache, r recipe, out string) error

// Layout of the cache directory.
const (
	objectsDir  = "objects"
	versionsDir = "versions"
	locksDir    = "locks"
	tmpDir      = "tmp"
	objectFile  = "object.json"
	// cacheLock is held shared by every Ensure and exclusively by Prune.
	cacheLock = "cache.lock"
)

// New opens the cache in opts.Dir, creating it when missing.
func New(opts Options) (*Cache, error) {
	if opts.Dir == "" {
		opts.Dir = Dir()
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = DefaultProgressInterval
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("artifacts cache %s: %w", opts.Dir, err)
	}
	for _, d := range []string{objectsDir, versionsDir, locksDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("create artifacts cache %s: %w", dir, err)
		}
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Cache{dir: dir, opts: opts, log: log, builders: defaultBuilders()}, nil
}

// Dir returns the cache directory.
func (c *Cache) Dir() string { return c.dir }

// goTool returns the go command, found once.
func (c *Cache) goTool(ctx context.Context) (*goTool, error) {
	c.goOnce.Do(func() { c.gotool, c.goErr = newGoTool(ctx, c.opts.Go, c.dir) })
	return c.gotool, c.goErr
}

// Lookup returns the manifest of a cached Kubernetes version, or an error
// wrapping ErrNotCached. It reads one small file and checks that the files
// it names exist with their recorded sizes.
func (c *Cache) Lookup(version string) (*Manifest, error) {
	m, err := c.readManifest(version)
	if err != nil {
		return nil, err
	}
	for _, comp := range m.Components {
		for _, f := range comp.Files {
			fi, err := os.Stat(f.Path)
			if err != nil {
				return nil, fmt.Errorf("kubernetes %s: %s: %w (%w)", version, f.Path, ErrNotCached, err)
			}
			if !fi.IsDir() && fi.Size() != f.Size {
				return nil, fmt.Errorf("kubernetes %s: %s has %d bytes, want %d: %w", version, f.Path, fi.Size(), f.Size, ErrNotCached)
			}
		}
	}
	return m, nil
}

func (c *Cache) manifestPath(version string) string {
	return filepath.Join(c.dir, versionsDir, version+".json")
}

func (c *Cache) readManifest(version string) (*Manifest, error) {
	if versionParts(version)[0] == "" {
		return nil, fmt.Errorf("kubernetes version %q: %w", version, ErrBadVersion)
	}
	data, err := os.ReadFile(c.manifestPath(version))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("kubernetes %s: %w", version, ErrNotCached)
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest of kubernetes %s: %w", version, err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("read manifest of kubernetes %s: %w", version, err)
	}
	m.resolve(c.dir)
	return &m, nil
}

// List returns the manifests of every cached version, ordered by version.
func (c *Cache) List() ([]*Manifest, error) {
	entries, err := os.ReadDir(filepath.Join(c.dir, versionsDir))
	if err != nil {
		return nil, fmt.Errorf("list artifacts cache: %w", err)
	}
	var out []*Manifest
	for _, e := range entries {
		v, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || versionParts(v)[0] == "" {
			continue
		}
		m, err := c.readManifest(v)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return versionLess(out[i].Kubernetes, out[j].Kubernetes) })
	return out, nil
}

// versionLess orders validated Kubernetes versions numerically.
func versionLess(a, b string) bool {
	pa, pb := versionParts(a), versionParts(b)
	for i := range pa {
		if len(pa[i]) != len(pb[i]) {
			return len(pa[i]) < len(pb[i])
		}
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return false
}

// writeJSON writes v to path atomically: a temporary file in the same
// directory, fsynced, then renamed over path.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(append(data, '\n')); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// recipe is everything that determines a build's output. Its hash names
// the object the build produces.
type recipe struct {
	// Component names the builder.
	Component string `json:"component"`
	// Version is the component's version.
	Version string `json:"version"`
	// Go is the toolchain version, empty when no Go is involved.
	Go string `json:"go,omitempty"`
	// Platform is GOOS/GOARCH.
	Platform string `json:"platform"`
	// Inputs are the builder's other inputs: flags, tags, source hashes.
	Inputs map[string]string `json:"inputs,omitempty"`
}

// key returns the hex SHA-256 of the recipe.
func (r recipe) key() string {
	data, _ := json.Marshal(r)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// name returns the object directory name: component, version and the
// first 16 hex digits of the key.
func (r recipe) name() string {
	return r.Component + "-" + r.Version + "-" + r.key()[:16]
}

// object is a finished build in the cache.
type object struct {
	Name         string    `json:"name"`
	Recipe       recipe    `json:"recipe"`
	BuiltAt      time.Time `json:"built_at"`
	BuildSeconds float64   `json:"build_seconds"`
	CPUSeconds   float64   `json:"cpu_seconds,omitempty"`
	// Files are relative to the object directory.
	Files []File `json:"files"`
	// built reports whether this call built it, rather than found it.
	built bool
}

// dir returns the object's directory relative to the cache directory.
func (o *object) dir() string { return filepath.Join(objectsDir, o.Name) }

// files returns the object's files with paths relative to the cache
// directory.
func (o *object) files() []File {
	out := make([]File, len(o.Files))
	for i, f := range o.Files {
		f.Path = filepath.Join(o.dir(), f.Path)
		out[i] = f
	}
	return out
}

// file returns the path, relative to the cache directory, of the object's
// file called name.
func (o *object) file(name string) string {
	for _, f := range o.Files {
		if f.Name == name {
			return filepath.Join(o.dir(), f.Path)
		}
	}
	return ""
}

func (c *Cache) readObject(name string) (*object, error) {
	data, err := os.ReadFile(filepath.Join(c.dir, objectsDir, name, objectFile))
	if err != nil {
		return nil, err
	}
	var o object
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, fmt.Errorf("read object %s: %w", name, err)
	}
	return &o, nil
}

// ensureObject returns the object r names, building it when it is missing.
// Concurrent callers, in this process or another, wait for one build and
// reuse it. The build runs in a temporary directory that is renamed into
// place only when complete, so a failed build leaves no object behind.
func (c *Cache) ensureObject(ctx context.Context, version string, r recipe) (*object, error) {
	name := r.name()
	if o, err := c.readObject(name); err == nil {
		c.emit(Event{Version: version, Component: r.Component, Phase: PhaseCached})
		return o, nil
	}
	build, ok := c.builders[r.Component]
	if !ok {
		return nil, fmt.Errorf("no builder for component %s", r.Component)
	}
	l, err := lock(ctx, filepath.Join(c.dir, locksDir, name+".lock"), true, func() {
		c.emit(Event{Version: version, Component: r.Component, Phase: PhaseWaiting})
	})
	if err != nil {
		return nil, err
	}
	defer l.unlock()
	if o, err := c.readObject(name); err == nil {
		c.emit(Event{Version: version, Component: r.Component, Phase: PhaseCached})
		return o, nil
	}
	// Debris of an earlier build of this object that died half way.
	if old, _ := filepath.Glob(filepath.Join(c.dir, tmpDir, name+"-*")); len(old) > 0 {
		for _, d := range old {
			_ = os.RemoveAll(d)
		}
	}
	tmp, err := os.MkdirTemp(filepath.Join(c.dir, tmpDir), name+"-")
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", name, err)
	}
	defer os.RemoveAll(tmp)

	start := time.Now()
	c.emit(Event{Version: version, Component: r.Component, Phase: PhaseStart})
	c.log.Info("building artifact", "kubernetes", version, "component", r.Component, "version", r.Version, "object", name)
	stop := c.ticker(version, r.Component, start)
	cpu := &cpuMeter{}
	err = build(context.WithValue(ctx, cpuMeterKey{}, cpu), c, r, tmp)
	stop()
	if err != nil {
		err = newBuildError(version, r.Component, err)
		c.emit(Event{Version: version, Component: r.Component, Phase: PhaseFailed, Elapsed: time.Since(start), Err: err})
		return nil, err
	}
	o := &object{Name: name, Recipe: r, BuiltAt: time.Now().UTC().Truncate(time.Second), built: true}
	if o.Files, err = recordFiles(tmp); err != nil {
		return nil, fmt.Errorf("build %s: %w", name, err)
	}
	o.BuildSeconds = time.Since(start).Round(100 * time.Millisecond).Seconds()
	o.CPUSeconds = cpu.total().Round(100 * time.Millisecond).Seconds()
	if err := writeJSON(filepath.Join(tmp, objectFile), o); err != nil {
		return nil, fmt.Errorf("build %s: %w", name, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("build %s: %w", name, err)
	}
	if err := os.Rename(tmp, filepath.Join(c.dir, objectsDir, name)); err != nil {
		return nil, fmt.Errorf("build %s: %w", name, err)
	}
	elapsed := time.Since(start)
	c.emit(Event{Version: version, Component: r.Component, Phase: PhaseDone, Elapsed: elapsed, CPU: cpu.total()})
	c.log.Info("built artifact", "kubernetes", version, "component", r.Component, "object", name, "seconds", elapsed.Seconds())
	return o, nil
}

// recordFiles lists the regular files and symbolic links under dir with
// their hashes and sizes. A link is recorded with its target's hash, read
// once.
func recordFiles(dir string) ([]File, error) {
	var files []File
	hashes := map[string]File{}
	var links []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			links = append(links, rel)
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := hashFile(path)
		if err != nil {
			return err
		}
		f.Path = rel
		hashes[rel] = f
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, rel := range links {
		target, err := os.Readlink(filepath.Join(dir, rel))
		if err != nil {
			return nil, err
		}
		t, ok := hashes[filepath.Join(filepath.Dir(rel), target)]
		if !ok {
			return nil, fmt.Errorf("link %s points outside the object", rel)
		}
		files = append(files, File{Name: filepath.Base(rel), Path: rel, SHA256: t.SHA256, Size: t.Size})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// hashFile returns the name, SHA-256 and size of the file at path.
func hashFile(path string) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return File{}, fmt.Errorf("hash %s: %w", path, err)
	}
	return File{Name: filepath.Base(path), Path: path, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

// platform is GOOS/GOARCH of this process, which builds are made for.
func platform() string { return runtime.GOOS + "/" + runtime.GOARCH }
