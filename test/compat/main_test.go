package compat

import (
	"os"
	"testing"
)

// TestMain runs the `slipway serve` processes of this package without an
// infrastructure provider: these tests prove wire compatibility, and the
// local provider would change the host (a public network, machines' cgroups)
// under other packages' leak checks. test/e2e runs the local provider.
func TestMain(m *testing.M) {
	if os.Getenv("SLIPWAY_PROVIDER") == "" {
		_ = os.Setenv("SLIPWAY_PROVIDER", "none")
	}
	os.Exit(m.Run())
}
