package ca

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	"github.com/slipway/slipway/internal/cli/printers"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

// NewCommand returns the `ca` command with its verbs.
func NewCommand(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ca",
		Short: "Manage the certificate authorities of clusters",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(
		newShowCommand(f),
		newSignCommand(f),
		newRotateCommand(f),
	)
	return cmd
}

// printPEM prints a certificate: the PEM itself in table format, the whole
// object otherwise.
func printPEM(f *cmdutil.Factory, cert *v1.Certificate) error {
	format, err := f.Format()
	if err != nil {
		return err
	}
	if format != printers.FormatTable {
		return printers.Print(f.Streams.Out, format, cert, nil)
	}
	_, err = io.WriteString(f.Streams.Out, cert.PEM)
	return err
}
