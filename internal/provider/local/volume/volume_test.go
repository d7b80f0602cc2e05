package volume

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/provider/local/network"
)

func TestValidMountpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"", true},
		{"/mnt/data", true},
		{"/var/lib/etcd", true},
		{"/dev/vdb", true},
		{"/dev/disk/vdb", false},
		{"mnt/data", false},
		{"/mnt/../etc", false},
		{"/mnt/my data", false},
		{"/", false},
		{"/var", false},
		{"/dev", false},
		{"/usr/local", false},
		{"/proc/x", false},
		{"/lib64", false},
	} {
		err := validMountpoint(tc.path)
		if (err == nil) != tc.ok {
			t.Errorf("validMountpoint(%q) = %v, want ok %v", tc.path, err, tc.ok)
		}
		if err != nil && !errors.Is(err, model.ErrInvalid) {
			t.Errorf("validMountpoint(%q) = %v, want an invalid-input error", tc.path, err)
		}
	}
}

func TestLabelFitsExt4(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"data":                        "data",
		"a name with spaces and more": "a-name-with-spac",
		"":                            "vol-1",
		"données":                     "donn-es",
	} {
		if got := label(&Volume{ID: "vol-1", Name: name}); got != want {
			t.Errorf("label(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestCopySparseKeepsDataAndHoles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(8 << 20); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("superblock"), 1024); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("tail"), 8<<20-4); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := copySparse(src, dst); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(src)
	b, _ := os.ReadFile(dst)
	if !bytes.Equal(a, b) {
		t.Fatal("the copy differs from its source")
	}
}

// noMachines is a Machines with none running.
type noMachines struct{}

func (noMachines) InitPID(context.Context, string) (int, error) { return 0, nil }

// TestReconcileRemovesUnknownVolumes keeps the volumes the caller knows,
// removes the others with their files and any file no record names, and
// does the same when run again.
func TestReconcileRemovesUnknownVolumes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loop devices need root")
	}
	ctx := t.Context()
	dir := t.TempDir()
	store := network.NewFileStore(filepath.Join(dir, "records"))
	m, err := New(ctx, Options{Store: store, StateDir: filepath.Join(dir, "volumes"), Machines: noMachines{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"keep", "drop"} {
		if _, err := m.CreateVolume(ctx, Volume{ID: id, SizeGiB: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if !m.Exists(ctx, "keep") || !hasFilesystem(m.file("keep")) {
		t.Fatal("a created volume has no filesystem")
	}
	if err := os.WriteFile(filepath.Join(dir, "volumes", "stray.img"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// As after a restart: a new manager over the same records.
	m, err = New(ctx, Options{Store: store, StateDir: filepath.Join(dir, "volumes"), Machines: noMachines{}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := m.Reconcile(ctx, map[string]bool{"keep": true}); err != nil {
			t.Fatal(err)
		}
	}
	left, _ := os.ReadDir(filepath.Join(dir, "volumes"))
	if len(left) != 1 || left[0].Name() != "keep.img" {
		t.Fatalf("files after reconcile: %v, want keep.img only", left)
	}
	if _, err := m.GetVolume(ctx, "drop"); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("the unknown volume survived: %v", err)
	}
	if err := m.DeleteVolume(ctx, "keep"); err != nil {
		t.Fatal(err)
	}
	if err := m.DeleteVolume(ctx, "keep"); err != nil {
		t.Fatalf("deleting a deleted volume: %v", err)
	}
	if _, err := m.Attach(ctx, Attachment{ID: "a1", VolumeID: "keep", ServerID: "s1"}); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("attaching a deleted volume: %v", err)
	}
}
