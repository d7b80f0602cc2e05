package cmdutil

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/printers"
	"github.com/slipway/slipway/pkg/client"
)

// IOStreams are the standard streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// DefaultPollInterval is how often --wait polls the API.
const DefaultPollInterval = 500 * time.Millisecond

// ClientFunc connects to the cloud named cloud ("" for the default).
type ClientFunc func(ctx context.Context, cloud string) (*client.Client, error)

// Factory carries the streams and global flags to every command, and
// builds the API client on first use.
type Factory struct {
	// Streams are the command's input and outputs.
	Streams IOStreams
	// Cloud is the --os-cloud flag.
	Cloud string
	// Output is the -o/--output flag.
	Output string
	// PollInterval is the --wait polling period.
	PollInterval time.Duration
	// NewClient connects to the API; tests replace it.
	NewClient ClientFunc

	client *client.Client
}

// NewFactory returns a Factory that loads credentials with
// client.LoadConfig.
func NewFactory(streams IOStreams) *Factory {
	return &Factory{
		Streams:      streams,
		Output:       string(printers.FormatTable),
		PollInterval: DefaultPollInterval,
		NewClient:    connect,
	}
}

func connect(ctx context.Context, cloud string) (*client.Client, error) {
	cfg, err := client.LoadConfig(cloud)
	if err != nil {
		return nil, err
	}
	return client.New(ctx, cfg, client.WithUserAgent("slipway-cli"))
}

// Client returns the API client, connecting on the first call.
func (f *Factory) Client(ctx context.Context) (*client.Client, error) {
	if f.client != nil {
		return f.client, nil
	}
	c, err := f.NewClient(ctx, f.Cloud)
	if err != nil {
		return nil, err
	}
	f.client = c
	return c, nil
}

// Format returns the validated --output format.
func (f *Factory) Format() (printers.Format, error) {
	return printers.ParseFormat(f.Output)
}

// Print writes v to Out in the chosen format; table is the table view.
func (f *Factory) Print(v any, table *printers.Table) error {
	format, err := f.Format()
	if err != nil {
		return err
	}
	return printers.Print(f.Streams.Out, format, v, table)
}

// PrintObject writes one object to Out; its table view is a FIELD/VALUE
// listing of its fields.
func (f *Factory) PrintObject(v any) error {
	format, err := f.Format()
	if err != nil {
		return err
	}
	if format != printers.FormatTable {
		return printers.Print(f.Streams.Out, format, v, nil)
	}
	table, err := printers.Fields(v)
	if err != nil {
		return err
	}
	return table.Write(f.Streams.Out)
}

// PrintMessage writes an acknowledgement: msg in table format, v otherwise.
func (f *Factory) PrintMessage(msg string, v any) error {
	format, err := f.Format()
	if err != nil {
		return err
	}
	if format == printers.FormatTable {
		_, err := io.WriteString(f.Streams.Out, msg+"\n")
		return err
	}
	return printers.Print(f.Streams.Out, format, v, nil)
}

// SetupRoot makes cmd a slipway root command: it wires the streams, adds
// the global flags and lets cobra print errors as "Error: <message>"
// without the usage text.
func SetupRoot(cmd *cobra.Command, f *Factory) {
	cmd.SetIn(f.Streams.In)
	cmd.SetOut(f.Streams.Out)
	cmd.SetErr(f.Streams.ErrOut)
	cmd.SilenceUsage = true
	cmd.PersistentFlags().StringVar(&f.Cloud, "os-cloud", "", "cloud in clouds.yaml to use (default $OS_CLOUD, else \"slipway\")")
	cmd.PersistentFlags().StringVarP(&f.Output, "output", "o", f.Output, "output format: table, json or yaml")
	cmd.PersistentPreRunE = func(*cobra.Command, []string) error {
		_, err := f.Format()
		return err
	}
}

// deletedList is the json and yaml acknowledgement of deletions.
type deletedList struct {
	Deleted []string `json:"deleted"`
}

// PrintDeleted acknowledges accepted deletions: one sentence per name in
// table format, {"deleted": [names]} otherwise.
func (f *Factory) PrintDeleted(kind string, names []string) error {
	format, err := f.Format()
	if err != nil {
		return err
	}
	if format != printers.FormatTable {
		return printers.Print(f.Streams.Out, format, deletedList{Deleted: append([]string{}, names...)}, nil)
	}
	for _, n := range names {
		if _, err := fmt.Fprintf(f.Streams.Out, "Request to delete %s %s has been accepted.\n", kind, n); err != nil {
			return err
		}
	}
	return nil
}
