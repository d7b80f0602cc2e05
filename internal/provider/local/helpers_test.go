package local

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/slipway/slipway/internal/node"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/provider/local/leakcheck"
	"github.com/slipway/slipway/internal/provider/local/network/nettest"
	"github.com/slipway/slipway/internal/secrets"
	"github.com/slipway/slipway/internal/store"
	storesql "github.com/slipway/slipway/internal/store/sql"
)

// TestMain lets the test binary be the machine agent: the machine manager
// re-executes it as "<test binary> node …", as Slipway re-executes itself.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "node" {
		cmd := node.Command()
		cmd.SetArgs(os.Args[2:])
		if err := cmd.Execute(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// env is one test's provider over its own SQLite store, data directory,
// namespace prefix, public subnet and cgroup root.
type env struct {
	t     *testing.T
	st    store.Store
	opts  Options
	p     *Provider
	stack resources.StackInfo
}

// newEnv takes the host lock, snapshots the host and starts a provider.
// The test's end tears everything down and fails if the host is not as it
// was.
func newEnv(t *testing.T) *env {
	t.Helper()
	nettest.NeedHost(t, "busybox", "haproxy", "curl", "nsenter", "mkfs.ext4")
	ctx := t.Context()
	unlock, err := leakcheck.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unlock)
	// Names and addresses of the test's own: tests hold the host lock, so
	// only other test binaries' leftovers could clash.
	h := fnv.New32a()
	h.Write([]byte(t.Name()))
	n := int(h.Sum32() % 250)
	tag := fmt.Sprintf("%d%d", os.Getpid()%1000, n)
	dir := filepath.Join(t.TempDir(), "data")
	cgroot := fmt.Sprintf("slipway-test/%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-"))
	before, err := leakcheck.Snapshot(ctx, leakcheck.NamespacedProcessesOnly(), leakcheck.CgroupsUnder(cgroot))
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: openStore(t)}
	e.opts = Options{
		DataDir: dir, Store: Records(e.st), Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)),
		Prefix: "slwp" + tag + "-", HostInterface: "slwp" + tag,
		PublicCIDR: netip.MustParsePrefix(fmt.Sprintf("10.253.%d.0/24", n)),
		CgroupRoot: cgroot, NodeCommand: []string{exe, "node"},
	}
	e.stack = resources.StackInfo{ID: uuid.NewString(), Name: "t" + tag, ProjectID: "project-" + tag}
	e.p = e.provider()
	t.Cleanup(func() {
		ctx := context.Background()
		if err := e.p.Teardown(ctx); err != nil {
			t.Errorf("teardown: %v", err)
		}
		var diff []string
		err := nettest.Eventually(ctx, 10*time.Second, func() error {
			after, err := leakcheck.Snapshot(ctx, leakcheck.NamespacedProcessesOnly(), leakcheck.CgroupsUnder(cgroot))
			if err != nil {
				return err
			}
			if diff = leakcheck.Diff(before, after); len(diff) > 0 {
				return fmt.Errorf("left behind:\n%s", strings.Join(diff, "\n"))
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
	if _, err := e.p.Reconcile(ctx, map[string]bool{}); err != nil {
		t.Fatal(err)
	}
	return e
}

// provider returns a new Provider over the same data directory and store,
// as after a restart of Slipway.
func (e *env) provider() *Provider {
	e.t.Helper()
	p, err := New(e.t.Context(), e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// openStore opens a SQLite store in a temporary directory.
func openStore(t *testing.T) store.Store {
	t.Helper()
	key, err := secrets.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := storesql.Open(t.Context(), filepath.Join(t.TempDir(), "slipway.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// registry returns a registry with the provider's plugins.
func (e *env) registry() *resources.Registry {
	e.t.Helper()
	reg := resources.NewRegistry("local")
	if err := e.p.Register(reg); err != nil {
		e.t.Fatal(err)
	}
	return reg
}

// create creates one resource through its plugin and returns it with its
// attributes.
func (e *env) create(name, typ string, props map[string]any) *resources.Resource {
	e.t.Helper()
	reg := e.registry()
	p, _ := reg.Lookup(typ)
	r := &resources.Resource{Stack: e.stack, Name: name, Type: typ, PhysicalID: uuid.NewString(), Properties: props}
	for k, ps := range p.Schema().Properties {
		if _, ok := r.Properties[k]; !ok && ps.Default != nil {
			r.Properties[k] = ps.Default
		}
	}
	ctx, cancel := context.WithTimeout(e.t.Context(), time.Minute)
	defer cancel()
	if _, err := p.Create(ctx, r); err != nil {
		e.t.Fatalf("create %s: %v", name, err)
	}
	attrs, err := p.Attributes(ctx, r)
	if err != nil {
		e.t.Fatalf("attributes of %s: %v", name, err)
	}
	r.Attributes = attrs
	return r
}

// testWriter sends a log to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
