package cmd

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/artifacts"
)

type buildOptions struct {
	*options
	kubeTags []string
	interval time.Duration
}

func newBuildCommand(o *options) *cobra.Command {
	b := &buildOptions{options: o}
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build a Kubernetes version and its companions into the cache",
		Long: `Build a Kubernetes version (the multi-call binary of kube-apiserver,
kube-controller-manager, kube-scheduler, kubelet, kube-proxy and kubectl), the
etcd, CoreDNS and containerd it goes with, the pause binary, and the pause,
CoreDNS and busybox images. Whatever is cached already is reused, so a cached
version returns at once. A cold build takes minutes; progress is printed to
stderr while it runs.`,
		Example: `  slipway artifacts build
  slipway artifacts build --kube-tag v1.36.3 --kube-tag v1.37.2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return b.run(cmd.Context())
		},
	}
	cmd.Flags().StringArrayVar(&b.kubeTags, "kube-tag", []string{artifacts.DefaultKubernetesVersion}, "Kubernetes version to build (repeat for several)")
	cmd.Flags().DurationVar(&b.interval, "progress-interval", artifacts.DefaultProgressInterval, "how often a running build reports")
	return cmd
}

func (b *buildOptions) run(ctx context.Context) error {
	var mu sync.Mutex
	start := time.Now()
	progress := func(e artifacts.Event) {
		mu.Lock()
		defer mu.Unlock()
		line := e.String()
		if e.Phase == artifacts.PhaseFailed {
			line = fmt.Sprintf("%s %s: failed after %s", e.Version, e.Component, e.Elapsed.Round(time.Second))
		}
		fmt.Fprintf(b.errOut, "[%6s] %s\n", time.Since(start).Round(time.Second), line)
	}
	c, err := b.cache(progress, b.interval)
	if err != nil {
		return err
	}
	var errs []error
	for _, v := range b.kubeTags {
		m, err := c.Ensure(ctx, v)
		if err != nil {
			var be *artifacts.BuildError
			if errors.As(err, &be) && be.Output != "" {
				fmt.Fprintf(b.errOut, "%s\n", be.Output)
			}
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(b.out, "kubernetes %s ready in %s (%s, %d components, %d images)\n",
			m.Kubernetes, time.Since(start).Round(100*time.Millisecond), humanBytes(m.Size()), len(m.Components), len(m.Images))
	}
	return errors.Join(errs...)
}
