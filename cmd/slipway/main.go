// Command slipway runs and drives Slipway, Kubernetes clusters as a service.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/slipway/slipway/internal/artifacts"
	artifactscmd "github.com/slipway/slipway/internal/artifacts/cmd"
	"github.com/slipway/slipway/internal/cli"
	"github.com/slipway/slipway/internal/cli/cmdutil"
	"github.com/slipway/slipway/internal/driver"
	"github.com/slipway/slipway/internal/driver/kubernetes"
	"github.com/slipway/slipway/internal/driver/kubernetes/ccm"
	"github.com/slipway/slipway/internal/node"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/orchestration/resources/heat"
	"github.com/slipway/slipway/internal/orchestration/resources/schema"
	"github.com/slipway/slipway/internal/provider/local"
	"github.com/slipway/slipway/internal/provider/local/machine"
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
		Catalog:         local.Catalog{},
		Drivers:         driver.Registry{},
		Resources:       types,
		Providers:       map[string]server.ProviderFactory{"local": localProvider},
		DriverFactories: map[string]server.DriverFactory{"kubernetes": kubernetesDriver},
	}, os.Stdout, os.Stderr)...)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = root.ExecuteContext(ctx)
	stop()
	if err != nil {
		os.Exit(1)
	}
}

// localProvider builds the local provider over the process's data
// directory, its records in Slipway's store. Every machine sees the
// artifacts cache (the Kubernetes binaries) read-only at its own path.
func localProvider(ctx context.Context, deps server.ProviderDeps) (server.Provider, error) {
	cacheDir := deps.CacheDir
	if cacheDir == "" {
		cacheDir = artifacts.Dir()
	}
	cacheDir, err := filepath.Abs(cacheDir)
	if err != nil {
		return nil, fmt.Errorf("artifacts cache: %w", err)
	}
	p, err := local.New(ctx, local.Options{DataDir: deps.DataDir, Store: local.Records(deps.Store),
		Egress: deps.Egress, Log: deps.Log, APIURL: deps.APIURL,
		MachineMounts: []machine.Mount{{Source: cacheDir, Target: cacheDir}}})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// kubernetesDriver builds the kubernetes driver over the process's engine,
// store and artifacts cache.
func kubernetesDriver(deps server.DriverDeps) (driver.Driver, error) {
	// client-go and the cloud controller log through klog: into our log.
	ccm.RouteKlog(deps.Log)
	cache, err := artifacts.New(artifacts.Options{Dir: deps.CacheDir, Log: deps.Log})
	if err != nil {
		return nil, err
	}
	return kubernetes.New(kubernetes.Options{
		Store: deps.Store, Stacks: deps.Stacks, Servers: deps.Servers, Artifacts: cache, Images: deps.Images,
		RegistryURL: deps.MachineURL, RestrictOOMScoreAdj: !kubernetes.HasCapSysResource(),
		TemplateDir: filepath.Join(deps.DataDir, "templates", "kubernetes"),
		Log:         deps.Log,
	})
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
