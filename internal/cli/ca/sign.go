package ca

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
)

type signOptions struct {
	cluster string
	csrFile string
}

func newSignCommand(f *cmdutil.Factory) *cobra.Command {
	o := &signOptions{}
	return &cobra.Command{
		Use:     "sign CLUSTER CSR_FILE",
		Short:   "Sign a certificate signing request with a cluster's CA",
		Long:    "Sign a PEM certificate signing request with a cluster's CA and print the certificate. A CSR_FILE of - reads standard input.",
		Example: `  slipway ca sign k8s client.csr > client.crt`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cluster, o.csrFile = args[0], args[1]
			return o.run(cmd.Context(), f)
		},
	}
}

func (o *signOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	csr, err := o.readCSR(f.Streams.In)
	if err != nil {
		return err
	}
	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	cert, err := c.Certificates().Sign(ctx, o.cluster, string(csr))
	if err != nil {
		return err
	}
	return printPEM(f, cert)
}

func (o *signOptions) readCSR(stdin io.Reader) ([]byte, error) {
	if o.csrFile == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read CSR from standard input: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(o.csrFile)
	if err != nil {
		return nil, fmt.Errorf("read CSR: %w", err)
	}
	return b, nil
}
