package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/artifacts"
	"github.com/slipway/slipway/internal/cli/printers"
)

func newPruneCommand(o *options) *cobra.Command {
	var opts artifacts.PruneOptions
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove cached builds that no Kubernetes version uses",
		Long: `Remove the cache objects that no cached Kubernetes version uses, and the
debris of interrupted builds. --kube-tag forgets versions first; --all empties
the cache. Running builds finish first. The Go build cache is left alone, so
rebuilding a pruned version is much faster than a cold build.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := printers.ParseFormat(outputFormat(cmd))
			if err != nil {
				return err
			}
			c, err := o.cache(nil, 0)
			if err != nil {
				return err
			}
			res, err := c.Prune(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if format != printers.FormatTable {
				return printers.Print(o.out, format, res, nil)
			}
			for _, v := range res.Versions {
				fmt.Fprintf(o.out, "forgot kubernetes %s\n", v)
			}
			for _, ob := range res.Objects {
				fmt.Fprintf(o.out, "removed %s\n", ob)
			}
			fmt.Fprintf(o.out, "freed %s\n", humanBytes(res.Bytes))
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&opts.Versions, "kube-tag", nil, "Kubernetes version to forget (repeat for several)")
	cmd.Flags().BoolVar(&opts.All, "all", false, "forget every version")
	return cmd
}
