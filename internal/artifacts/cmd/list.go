package cmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/artifacts"
	"github.com/slipway/slipway/internal/cli/printers"
)

func newListCommand(o *options) *cobra.Command {
	var long bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the cached Kubernetes versions, their components and images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := printers.ParseFormat(outputFormat(cmd))
			if err != nil {
				return err
			}
			c, err := o.cache(nil, 0)
			if err != nil {
				return err
			}
			ms, err := c.List()
			if err != nil {
				return err
			}
			if ms == nil {
				ms = []*artifacts.Manifest{}
			}
			if format != printers.FormatTable {
				return printers.Print(o.out, format, ms, nil)
			}
			return printers.Print(o.out, format, ms, listTable(ms, long))
		},
	}
	cmd.Flags().BoolVar(&long, "long", false, "also list every file and image")
	return cmd
}

// listTable has one row per component of every version, then one per
// image; with long, one per file too.
func listTable(ms []*artifacts.Manifest, long bool) *printers.Table {
	t := printers.NewTable("KUBERNETES", "COMPONENT", "VERSION", "SIZE", "BUILT", "BUILD TIME", "CPU", "SOURCE")
	for _, m := range ms {
		for _, c := range m.Components {
			var size int64
			seen := map[string]bool{}
			for _, f := range c.Files {
				if !seen[f.SHA256] {
					size += f.Size
				}
				seen[f.SHA256] = true
			}
			built, took, cpu := "-", "-", "-"
			if !c.BuiltAt.IsZero() {
				built = c.BuiltAt.Local().Format(time.DateTime)
				took = seconds(c.BuildSeconds)
			}
			if c.CPUSeconds > 0 {
				cpu = seconds(c.CPUSeconds)
			}
			t.AddRow(m.Kubernetes, c.Name, dash(c.Version), humanBytes(size), built, took, cpu, c.Source)
			if long {
				for _, f := range c.Files {
					t.AddRow("", "  "+f.Name, "", humanBytes(f.Size), "", "", "", f.Path)
				}
			}
		}
		for _, im := range m.Images {
			name, tag, _ := strings.Cut(im.Ref[strings.LastIndex(im.Ref, "/")+1:], ":")
			t.AddRow(m.Kubernetes, "image "+name, tag, humanBytes(im.Size), "-", "-", "-", im.Ref)
			if long {
				t.AddRow("", "  digest", "", "", "", "", "", im.Digest)
			}
		}
	}
	return t
}

// seconds renders a number of seconds as a rounded duration.
func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Second).String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// humanBytes renders n in binary units.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
