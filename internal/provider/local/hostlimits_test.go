package local

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestHostLimitsRaised checks that after raiseHostLimits every shared
// limit is at least its floor (it only ever raises them).
func TestHostLimitsRaised(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("raising kernel limits needs root")
	}
	if err := raiseHostLimits(); err != nil {
		t.Fatal(err)
	}
	for _, l := range hostLimits {
		b, err := os.ReadFile(l.path)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := strconv.Atoi(strings.TrimSpace(string(b))); v < l.floor {
			t.Errorf("%s is %d, below %d", l.path, v, l.floor)
		}
	}
}
