package machine

import (
	"fmt"
	"os"
	"testing"

	"github.com/slipway/slipway/internal/node"
)

// TestMain lets the test binary be the machine agent: the manager re-executes
// it as "<test binary> node …", as Slipway re-executes itself.
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
