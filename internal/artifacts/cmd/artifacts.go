package cmd

import (
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/artifacts"
)

// options are the flags every artifacts command shares.
type options struct {
	cacheDir string
	goCmd    string
	out      io.Writer
	errOut   io.Writer
}

// cache opens the cache the flags name.
func (o *options) cache(progress func(artifacts.Event), interval time.Duration) (*artifacts.Cache, error) {
	return artifacts.New(artifacts.Options{
		Dir:              o.cacheDir,
		Go:               o.goCmd,
		Log:              slog.New(slog.NewTextHandler(o.errOut, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Progress:         progress,
		ProgressInterval: interval,
	})
}

// NewCommand returns the `artifacts` command with its verbs build, list and
// prune. Output goes to stdout, progress and errors to stderr.
func NewCommand(stdout, stderr io.Writer) *cobra.Command {
	o := &options{out: stdout, errOut: stderr}
	cmd := &cobra.Command{
		Use:   "artifacts",
		Short: "Build, list and prune the cached Kubernetes versions and images",
		Long: `Build, list and prune the host's artifacts cache: Kubernetes, etcd, CoreDNS
and containerd built from the Go module proxy per Kubernetes version, and the
OCI images Slipway's registry serves. The cache is shared by every data
directory on the host.

Environment variables (flags win):
  ` + artifacts.EnvCacheDir + `   cache directory (default ` + artifacts.DefaultDir + `)`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
	}
	cmd.PersistentFlags().StringVar(&o.cacheDir, "cache-dir", artifacts.Dir(), "artifacts cache directory")
	cmd.PersistentFlags().StringVar(&o.goCmd, "go", "", "go command to build with (default: go on PATH, else /usr/local/go/bin/go)")
	cmd.AddCommand(newBuildCommand(o), newListCommand(o), newPruneCommand(o))
	return cmd
}

// outputFormat returns the value of an -o/--output flag that cmd has or
// inherits from the root command, "table" otherwise.
func outputFormat(cmd *cobra.Command) string {
	if f := cmd.Flag("output"); f != nil && f.Value.String() != "" {
		return f.Value.String()
	}
	return "table"
}
