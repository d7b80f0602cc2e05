package server

import (
	"context"
	"errors"
	"testing"

	"github.com/slipway/slipway/internal/driver"
)

// closingDriver counts its Close calls.
type closingDriver struct{ closed int }

func (*closingDriver) Apply(context.Context, *driver.Scope) error  { return nil }
func (*closingDriver) Delete(context.Context, *driver.Scope) error { return nil }
func (d *closingDriver) Close() error                              { d.closed++; return nil }

// TestBuildDriversClosesWhatItBuilt checks that the process closes the
// drivers its factories built (their cloud controllers run in it), and
// leaves the ones it was given to their owner.
func TestBuildDriversClosesWhatItBuilt(t *testing.T) {
	t.Parallel()
	given, built := &closingDriver{}, &closingDriver{}
	comps := Components{
		Drivers:         driver.Registry{"swarm": given},
		DriverFactories: map[string]DriverFactory{"kubernetes": func(DriverDeps) (driver.Driver, error) { return built, nil }},
	}
	reg, closers, err := buildDrivers(comps, DriverDeps{})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := reg.Lookup("kubernetes"); d != built {
		t.Fatalf("kubernetes driver = %v, want the built one", d)
	}
	for _, c := range closers {
		if err := c(); err != nil {
			t.Fatal(err)
		}
	}
	if built.closed != 1 || given.closed != 0 {
		t.Errorf("closed built %d, given %d times; want 1 and 0", built.closed, given.closed)
	}

	comps.DriverFactories["broken"] = func(DriverDeps) (driver.Driver, error) { return nil, errors.New("no cache") }
	if _, _, err := buildDrivers(comps, DriverDeps{}); err == nil {
		t.Error("a factory's error was not returned")
	}
}
