// Package servertest starts a real Slipway process in-process for tests:
// real store, real identity, real HTTP on a loopback port, with the test
// COE driver registered for coe "kubernetes".
package servertest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/driver"
	"github.com/slipway/slipway/internal/driver/drivertest"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/orchestration/resources/heat"
	"github.com/slipway/slipway/internal/orchestration/resources/schema"
	"github.com/slipway/slipway/internal/provider/local"
	"github.com/slipway/slipway/internal/server"
)

// AdminPassword is the admin password test servers bootstrap with.
const AdminPassword = "slipway-test-admin"

// Env is a running test server.
type Env struct {
	*server.Running
	Config  server.Config
	Driver  *drivertest.Driver
	DataDir string
	// CloudsYAML is the clouds.yaml the server wrote (cloud "slipway").
	CloudsYAML string

	stop func()
}

// Options tune a test server.
type Options struct {
	// Database is a PostgreSQL URL; empty means SQLite in a temp dir.
	Database string
	// DataDir reuses a data directory (for restart tests).
	DataDir string
	// NoDriver leaves the driver registry empty.
	NoDriver bool
	// Driver reuses a test driver across restarts.
	Driver *drivertest.Driver
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	dir := opts.DataDir
	if dir == "" {
		dir = t.TempDir()
	}
	d := opts.Driver
	if d == nil {
		d = drivertest.New()
	}
	drivers := driver.Registry{"kubernetes": d}
	if opts.NoDriver {
		drivers = driver.Registry{}
	}
	cfg := server.Config{
		Mode: server.ModeAll, DataDir: dir, Listen: "127.0.0.1:0", Database: opts.Database,
		AdminPassword: AdminPassword, Workers: 4, MaxAttempts: 3,
	}
	level := slog.LevelWarn
	if os.Getenv("SLIPWAY_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: level}))
	types := resources.NewRegistry("local")
	schema.Declare(types)
	if err := heat.Register(types); err != nil {
		t.Fatal(err)
	}
	run, err := server.Start(context.Background(), cfg, server.Components{Catalog: local.Catalog{}, Drivers: drivers, Resources: types}, log)
	if err != nil {
		t.Fatalf("start slipway: %v", err)
	}
	env := &Env{Running: run, Config: cfg, Driver: d, DataDir: dir, CloudsYAML: filepath.Join(dir, "clouds.yaml")}
	if _, err := server.WriteClientConfig(dir, run.AuthURL, run.Bootstrap.Password); err != nil {
		t.Fatalf("write client config: %v", err)
	}
	stopped := false
	env.stop = func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := run.Stop(ctx); err != nil {
			t.Errorf("stop slipway: %v", err)
		}
	}
	t.Cleanup(env.stop)
	return env
}

// Stop stops the server before the test ends.
func (e *Env) Stop() { e.stop() }

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
