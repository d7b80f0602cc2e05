package machine

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestJoinsGivenNetns creates a named network namespace, as the network
// code does, and checks that the machine runs in it; then removes the
// namespace and checks that booting again fails with a reason.
func TestJoinsGivenNetns(t *testing.T) {
	needRoot(t)
	ctx := t.Context()
	// The manager holds the host's leak-check lock: the namespace is made
	// under it, so that no other package's leak check sees it.
	m := newManager(t, testConfig(t))
	name := fmt.Sprintf("slipway-test-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	path := "/run/netns/" + name
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	if _, err := m.Create(ctx, Spec{ID: "joined", Name: "joined", Flavor: Flavor{VCPUs: 1, MemoryMiB: 128}, NetnsPath: path,
		UserData: []byte("#!/bin/sh\nbusybox httpd -p 127.0.0.1:8081 -h /etc\n")}); err != nil {
		t.Fatal(err)
	}
	mach := waitUserData(t, m, "joined")
	var want, got unix.Stat_t
	if err := unix.Stat(path, &want); err != nil {
		t.Fatal(err)
	}
	if err := unix.Stat(fmt.Sprintf("/proc/%d/ns/net", mach.InitPID), &got); err != nil {
		t.Fatal(err)
	}
	if got.Ino != want.Ino || mach.Netns != path {
		t.Fatalf("the machine's netns is %d (%s), want %d (%s)", got.Ino, mach.Netns, want.Ino, path)
	}
	if body, err := httpGetIn(path, "127.0.0.1:8081", "/hostname"); err != nil || strings.TrimSpace(body) != "joined" {
		t.Fatalf("GET /hostname in the named netns = %q, %v", body, err)
	}

	if err := exec.Command("ip", "netns", "del", name).Run(); err != nil {
		t.Fatal(err)
	}
	err := m.Reboot(ctx, "joined")
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("reboot without the netns: err = %v", err)
	}
	st, reason, _ := m.Status(ctx, "joined")
	if st != StateError || !strings.Contains(reason, "network namespace") {
		t.Fatalf("status = %s %q", st, reason)
	}
}
