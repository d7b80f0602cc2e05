// Command slipway runs and drives Slipway, Kubernetes clusters as a service.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	artifactscmd "github.com/slipway/slipway/internal/artifacts/cmd"
	"github.com/slipway/slipway/internal/cli"
	"github.com/slipway/slipway/internal/cli/cmdutil"
	"github.com/slipway/slipway/internal/driver"
	"github.com/slipway/slipway/internal/node"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/orchestration/resources/heat"
	"github.com/slipway/slipway/internal/orchestration/resources/schema"
	"github.com/slipway/slipway/internal/provider/local"
	"github.com/slipway/slipway/internal/server"
)

func main() {
	streams := cmdutil.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	root := cli.NewRootCommand(streams)
	types, err := resourceTypes()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	root.AddCommand(node.Command())
	root.AddCommand(artifactscmd.NewCommand(os.Stdout, os.Stderr))
	root.AddCommand(server.Commands(server.Components{
		Catalog:   local.Catalog{},
		Drivers:   driver.Registry{},
		Resources: types,
		Providers: map[string]server.ProviderFactory{"local": localProvider},
	}, os.Stdout, os.Stderr)...)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = root.ExecuteContext(ctx)
	stop()
	if err != nil {
		os.Exit(1)
	}
}

// localProvider builds the local provider over the process's data
// directory, its records in Slipway's store.
func localProvider(ctx context.Context, deps server.ProviderDeps) (server.Provider, error) {
	p, err := local.New(ctx, local.Options{DataDir: deps.DataDir, Store: local.Records(deps.Store),
		Egress: deps.Egress, Log: deps.Log, APIURL: deps.APIURL})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// resourceTypes is the orchestration type registry: Heat's own types and the
// OpenStack types' schemas, implemented by the local provider.
func resourceTypes() (*resources.Registry, error) {
	reg := resources.NewRegistry("local")
	schema.Declare(reg)
	if err := heat.Register(reg); err != nil {
		return nil, fmt.Errorf("register OS::Heat types: %w", err)
	}
	return reg, nil
}
