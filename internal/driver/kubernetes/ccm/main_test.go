package ccm

import (
	"log/slog"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// The upstream controller's klog output, as the conductor would route
	// it, but only warnings and errors.
	RouteKlog(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	os.Exit(m.Run())
}
