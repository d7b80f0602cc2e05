// Command slipway runs and drives Slipway, Kubernetes clusters as a service.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/slipway/slipway/internal/cli"
	"github.com/slipway/slipway/internal/cli/cmdutil"
	"github.com/slipway/slipway/internal/driver"
	"github.com/slipway/slipway/internal/provider/local"
	"github.com/slipway/slipway/internal/server"
)

func main() {
	streams := cmdutil.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	root := cli.NewRootCommand(streams)
	root.AddCommand(server.Commands(server.Components{
		Catalog: local.Catalog{},
		Drivers: driver.Registry{},
	}, os.Stdout, os.Stderr)...)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := root.ExecuteContext(ctx)
	stop()
	if err != nil {
		os.Exit(1)
	}
}
