package machine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestManagerErrors(t *testing.T) {
	needRoot(t)
	ctx := t.Context()
	cfg := testConfig(t)
	m := newManager(t, cfg)
	spec := Spec{ID: "dup", Name: "dup", Flavor: Flavor{VCPUs: 1, MemoryMiB: 128}}
	if _, err := m.Create(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Create(ctx, spec); !errors.Is(err, ErrExists) {
		t.Errorf("second create: err = %v, want ErrExists", err)
	}
	if _, err := m.Create(ctx, Spec{ID: "bad/id"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("invalid spec: err = %v, want ErrInvalid", err)
	}
	if _, err := m.Get(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get missing: err = %v, want ErrNotFound", err)
	}
	if _, err := m.ConsoleLog(ctx, "missing", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("console of missing: err = %v, want ErrNotFound", err)
	}
	if err := m.Delete(ctx, "missing"); err != nil {
		t.Errorf("delete missing: %v", err)
	}
	if err := m.Reboot(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("reboot missing: err = %v, want ErrNotFound", err)
	}
	list, err := m.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != "dup" {
		t.Errorf("list = %v, %v", list, err)
	}

	// A state directory that machines would see is refused.
	bad := cfg
	bad.StateDir = "/usr/slipway-test-state"
	if _, err := New(ctx, bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("state under /usr: err = %v, want ErrInvalid", err)
	}
	_ = os.Remove(bad.StateDir)
}

// TestConsoleLogStaysInTheMachine plants a symlink where the console log
// is, pointing at a host file; Slipway must not follow it out of the disk.
func TestConsoleLogStaysInTheMachine(t *testing.T) {
	needRoot(t)
	ctx := t.Context()
	m := newManager(t, testConfig(t))
	if _, err := m.Create(ctx, Spec{ID: "sneaky", Name: "sneaky", Flavor: Flavor{VCPUs: 1, MemoryMiB: 128},
		UserData: []byte("#!/bin/sh\necho first line\n")}); err != nil {
		t.Fatal(err)
	}
	waitUserData(t, m, "sneaky")
	secret := filepath.Join(t.TempDir(), "host-secret")
	if err := os.WriteFile(secret, []byte("host secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(m.layout("sneaky").disk(), "var/log/slipway/console.log")
	if err := os.Remove(log); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, log); err != nil {
		t.Fatal(err)
	}
	out, err := m.ConsoleLog(ctx, "sneaky", 0)
	if strings.Contains(out, "host secret") {
		t.Fatal("the console log followed a link out of the machine")
	}
	if err == nil {
		t.Log("console log read without error:", out)
	}
	// The next boot replaces the planted link with a log.
	if err := m.Reboot(ctx, "sneaky"); err != nil {
		t.Fatal(err)
	}
	waitUserData(t, m, "sneaky")
	if out, err := m.ConsoleLog(ctx, "sneaky", 0); err != nil || !strings.Contains(out, "first line") {
		t.Fatalf("console log after reboot = %q, %v", out, err)
	}
	if b, _ := os.ReadFile(secret); string(b) != "host secret\n" {
		t.Fatalf("the host file changed: %q", b)
	}
}
