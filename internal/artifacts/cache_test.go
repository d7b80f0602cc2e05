package artifacts

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeBuilds replaces the builders of the built components with ones that
// write a small file, count their calls, and wait for gate when it is not
// nil. Image builders stay real: they pack the fake binaries.
type fakeBuilds struct {
	count   map[string]*atomic.Int32
	gate    chan struct{}
	started chan string
	fail    map[string]error
}

func newFakeBuilds() *fakeBuilds {
	f := &fakeBuilds{count: map[string]*atomic.Int32{}, started: make(chan string, 16), fail: map[string]error{}}
	for _, c := range []string{ComponentKubernetes, ComponentEtcd, ComponentCoreDNS, ComponentContainerd, ComponentPause} {
		f.count[c] = &atomic.Int32{}
	}
	return f
}

func (f *fakeBuilds) install(c *Cache) {
	for name := range f.count {
		c.builders[name] = func(ctx context.Context, _ *Cache, r recipe, out string) error {
			f.count[r.Component].Add(1)
			f.started <- r.Component
			if err := os.MkdirAll(filepath.Join(out, "bin"), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(out, "bin", binaryOf(r.Component)), []byte(r.name()), 0o755); err != nil {
				return err
			}
			if err := f.fail[r.Component]; err != nil {
				return err
			}
			if f.gate != nil {
				select {
				case <-f.gate:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		}
	}
}

func binaryOf(component string) string {
	if component == ComponentKubernetes {
		return kubernetesBinary
	}
	return component
}

func newTestCache(t *testing.T, dir string, progress func(Event)) *Cache {
	t.Helper()
	c, err := New(Options{Dir: dir, Progress: progress, ProgressInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConcurrentEnsureBuildsOnce(t *testing.T) {
	t.Parallel()
	if _, err := findGo(""); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	fake := newFakeBuilds()
	fake.gate = make(chan struct{})

	var mu sync.Mutex
	var events []Event
	record := func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
	}
	// Two caches on one directory hold separate lock files, as two
	// processes would.
	first, second := newTestCache(t, dir, record), newTestCache(t, dir, record)
	fake.install(first)
	fake.install(second)

	ctx := t.Context()
	type result struct {
		m   *Manifest
		err error
	}
	results := make(chan result, 2)
	go func() {
		m, err := first.Ensure(ctx, "v1.37.2")
		results <- result{m, err}
	}()
	if got := <-fake.started; got != ComponentKubernetes {
		t.Fatalf("first build started with %s, want kubernetes", got)
	}
	go func() {
		m, err := second.Ensure(ctx, "v1.37.2")
		results <- result{m, err}
	}()
	// The second caller waits, and the first reports progress meanwhile.
	waitFor(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		var waiting, running bool
		for _, e := range events {
			waiting = waiting || e.Phase == PhaseWaiting
			running = running || e.Phase == PhaseRunning
		}
		return waiting && running
	})
	close(fake.gate)
	var ms []*Manifest
	for range 2 {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		ms = append(ms, r.m)
	}
	for name, n := range fake.count {
		if n.Load() != 1 {
			t.Errorf("%s built %d times, want 1", name, n.Load())
		}
	}
	if !ms[0].CreatedAt.Equal(ms[1].CreatedAt) || ms[0].Components[0].Object != ms[1].Components[0].Object {
		t.Errorf("the two callers got different manifests: %+v and %+v", ms[0], ms[1])
	}
	if len(ms[0].Images) < 2 {
		t.Errorf("images = %+v, want pause and coredns at least", ms[0].Images)
	}
	// A third request is a cache hit, with no build.
	m, err := newTestCache(t, dir, nil).Ensure(ctx, "v1.37.2")
	if err != nil {
		t.Fatal(err)
	}
	if fake.count[ComponentKubernetes].Load() != 1 || m.Components[0].Object != ms[0].Components[0].Object {
		t.Error("a cached version was built again")
	}
}

func TestFailedBuildLeavesNoEntry(t *testing.T) {
	t.Parallel()
	if _, err := findGo(""); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	fake := newFakeBuilds()
	fake.fail[ComponentEtcd] = &toolError{Command: "go build", Output: "main.go:1: undefined: x", Err: errors.New("exit status 1")}
	c := newTestCache(t, dir, nil)
	fake.install(c)

	_, err := c.Ensure(t.Context(), "v1.36.3")
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("Ensure = %v, want a *BuildError", err)
	}
	if be.Version != "v1.36.3" || be.Component != ComponentEtcd || be.Output != "main.go:1: undefined: x" {
		t.Errorf("BuildError = %+v", be)
	}
	for _, want := range []string{"v1.36.3", "etcd", "undefined: x"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := c.Lookup("v1.36.3"); !errors.Is(err, ErrNotCached) {
		t.Errorf("Lookup after a failed build = %v, want ErrNotCached", err)
	}
	objs, _ := os.ReadDir(filepath.Join(dir, objectsDir))
	for _, o := range objs {
		if strings.HasPrefix(o.Name(), ComponentEtcd) {
			t.Errorf("failed build left object %s", o.Name())
		}
	}
	if tmp, _ := os.ReadDir(filepath.Join(dir, tmpDir)); len(tmp) != 0 {
		t.Errorf("failed build left %d entries in tmp/", len(tmp))
	}

	// Prune removes the objects the failed version built before etcd.
	res, err := c.Prune(t.Context(), PruneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 1 || !strings.HasPrefix(res.Objects[0], ComponentKubernetes) {
		t.Errorf("pruned %v, want the orphaned kubernetes object", res.Objects)
	}
}

func TestPruneForgetsVersions(t *testing.T) {
	t.Parallel()
	if _, err := findGo(""); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	c := newTestCache(t, dir, nil)
	newFakeBuilds().install(c)
	for _, v := range []string{"v1.36.3", "v1.37.2"} {
		if _, err := c.Ensure(t.Context(), v); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := c.List()
	if err != nil || len(ms) != 2 || ms[0].Kubernetes != "v1.36.3" {
		t.Fatalf("List = %v, %v", ms, err)
	}
	res, err := c.Prune(t.Context(), PruneOptions{Versions: []string{"v1.36.3"}})
	if err != nil {
		t.Fatal(err)
	}
	// containerd v2.4.2 and the busybox image are shared with v1.37.2 and
	// must survive.
	for _, o := range res.Objects {
		if strings.HasPrefix(o, ComponentContainerd) {
			t.Errorf("pruned %s, which v1.37.2 still uses", o)
		}
	}
	if _, err := c.Lookup("v1.37.2"); err != nil {
		t.Errorf("v1.37.2 broken by pruning v1.36.3: %v", err)
	}
	if _, err := c.Lookup("v1.36.3"); !errors.Is(err, ErrNotCached) {
		t.Errorf("v1.36.3 still cached: %v", err)
	}
	if _, err := c.Prune(t.Context(), PruneOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	if objs, _ := os.ReadDir(filepath.Join(dir, objectsDir)); len(objs) != 0 {
		t.Errorf("prune --all left %d objects", len(objs))
	}
}

func TestEnsureWaitRespectsContext(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, locksDir), 0o755); err != nil {
		t.Fatal(err)
	}
	held, ok, err := tryLock(filepath.Join(dir, locksDir, "x.lock"), true)
	if err != nil || !ok {
		t.Fatalf("tryLock = %v, %v", ok, err)
	}
	defer held.unlock()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	waited := false
	_, err = lock(ctx, filepath.Join(dir, locksDir, "x.lock"), true, func() { waited = true })
	if !errors.Is(err, context.DeadlineExceeded) || !waited {
		t.Errorf("lock on a held lock = %v (waited %v), want a deadline error after waiting", err, waited)
	}
}

// TestPauseBuild builds the real pause binary through the cache, from two
// caches on one directory at once, and runs it. It is cheap: a tiny
// program. Exactly one of the two builds; the other waits and reuses.
func TestPauseBuild(t *testing.T) {
	t.Parallel()
	if _, err := findGo(""); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	var starts, waits atomic.Int32
	progress := func(e Event) {
		switch e.Phase {
		case PhaseStart:
			starts.Add(1)
		case PhaseWaiting:
			waits.Add(1)
		}
	}
	caches := []*Cache{newTestCache(t, dir, progress), newTestCache(t, dir, progress)}
	gt, err := caches[0].goTool(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	objs := make([]*object, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, c := range caches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			objs[i], errs[i] = c.ensureObject(t.Context(), "test", pauseRecipe(gt.version, "3.10.2"))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if starts.Load() != 1 || objs[0].Name != objs[1].Name || !objs[0].BuiltAt.Equal(objs[1].BuiltAt) {
		t.Errorf("%d builds (%d waits), objects %+v and %+v; want one build", starts.Load(), waits.Load(), objs[0], objs[1])
	}
	bin := filepath.Join(dir, objs[0].file("pause"))
	out, err := exec.CommandContext(t.Context(), bin, "-v").CombinedOutput()
	if err != nil || string(out) != "pause 3.10.2 (slipway)\n" {
		t.Errorf("pause -v = %q, %v", out, err)
	}
	if err := checkStatic(bin); err != nil {
		t.Error(err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
