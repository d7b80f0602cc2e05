package clitest

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	"github.com/slipway/slipway/pkg/client"
	"github.com/slipway/slipway/pkg/client/clienttest"
)

// Result is what one command run printed and returned.
type Result struct {
	Out    string
	ErrOut string
	Err    error
}

// Run executes `slipway ARGS…` with the noun built by newCmd as the only
// subcommand, against srv, and with a 1ms --wait poll interval.
func Run(t testing.TB, srv *clienttest.Server, newCmd func(*cmdutil.Factory) *cobra.Command, args ...string) Result {
	t.Helper()
	return run(t.Context(), srv, "", newCmd, args)
}

// RunWithInput is Run with stdin holding input.
func RunWithInput(t testing.TB, srv *clienttest.Server, input string, newCmd func(*cmdutil.Factory) *cobra.Command, args ...string) Result {
	t.Helper()
	return run(t.Context(), srv, input, newCmd, args)
}

// RunContext is Run under ctx, for tests that cancel the command.
func RunContext(ctx context.Context, t testing.TB, srv *clienttest.Server, newCmd func(*cmdutil.Factory) *cobra.Command, args ...string) Result {
	t.Helper()
	return run(ctx, srv, "", newCmd, args)
}

func run(ctx context.Context, srv *clienttest.Server, input string, newCmd func(*cmdutil.Factory) *cobra.Command, args []string) Result {
	var out, errOut bytes.Buffer
	f := cmdutil.NewFactory(cmdutil.IOStreams{In: strings.NewReader(input), Out: &out, ErrOut: &errOut})
	f.PollInterval = time.Millisecond
	f.NewClient = func(ctx context.Context, _ string) (*client.Client, error) {
		return client.New(ctx, srv.Config())
	}
	root := &cobra.Command{Use: "slipway"}
	cmdutil.SetupRoot(root, f)
	root.AddCommand(newCmd(f))
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return Result{Out: out.String(), ErrOut: errOut.String(), Err: err}
}

var elapsed = regexp.MustCompile(`\[ *[0-9]+\.[0-9]s\]`)

// StripElapsed replaces the elapsed times of --wait progress lines with
// "[t]", so that tests can compare them.
func StripElapsed(s string) string {
	return elapsed.ReplaceAllString(s, "[t]")
}
