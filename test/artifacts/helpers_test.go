package artifacts

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/artifacts"
)

// ensure returns the manifest of version from the host's shared cache,
// building it if needed, with progress in the test log.
func ensure(t *testing.T, version string) *artifacts.Manifest {
	t.Helper()
	if testing.Short() {
		t.Skip("builds Kubernetes: skipped with -short")
	}
	c, err := artifacts.New(artifacts.Options{
		Progress:         func(e artifacts.Event) { t.Log(e.String()) },
		ProgressInterval: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	m, err := c.Ensure(t.Context(), version)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kubernetes %s ready in %s (cache %s)", version, time.Since(start).Round(time.Millisecond), c.Dir())
	return m
}

// run runs the named binary of m with args and returns its output.
func run(t *testing.T, m *artifacts.Manifest, binary string, args ...string) string {
	t.Helper()
	path, err := m.Binary(binary)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", binary, strings.Join(args, " "), err, out)
	}
	return string(out)
}
