package server

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestConductorLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := lockConductor(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockConductor(dir)
	if err == nil {
		t.Fatal("a second conductor locked the data directory")
	}
	for _, want := range []string{dir, "in use by another Slipway conductor", "process " + strconv.Itoa(os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := lockConductor(dir)
	if err != nil {
		t.Fatalf("lock after the first conductor ended: %v", err)
	}
	again.Close()
}

func TestConductorIdentity(t *testing.T) {
	t.Parallel()
	stable1, run1 := conductorIdentity("/var/lib/slipway")
	stable2, run2 := conductorIdentity("/var/lib/slipway")
	other, _ := conductorIdentity("/srv/other")
	if stable1 != stable2 || run1 == run2 {
		t.Errorf("runs on one data directory: stable %q and %q, runs %q and %q; want one stable name, two runs", stable1, stable2, run1, run2)
	}
	if !strings.HasPrefix(run1, stable1) || strings.HasPrefix(other, stable1) || strings.HasPrefix(stable1, other) {
		t.Errorf("names %q, %q, %q: a run must start with its stable name, and data directories must not share one", stable1, run1, other)
	}
}
