package quota

import (
	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

// defaultResource is the only resource Magnum has quotas for.
const defaultResource = "Cluster"

// NewCommand returns the `quota` command with its verbs.
func NewCommand(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "quota",
		Aliases: []string{"quotas"},
		Short:   "Manage per-project quotas",
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(
		newListCommand(f),
		newShowCommand(f),
		newCreateCommand(f),
		newUpdateCommand(f),
		newDeleteCommand(f),
	)
	return cmd
}

// target names one quota: a project and a resource.
type target struct {
	projectID string
	resource  string
}

func (t *target) addFlags(cmd *cobra.Command, projectHelp string) {
	cmd.Flags().StringVar(&t.projectID, "project-id", "", projectHelp)
	cmd.Flags().StringVar(&t.resource, "resource", defaultResource, "resource the quota limits")
}

// limit is a quota to write: its target and hard limit.
type limit struct {
	target
	hardLimit int
}

func (l *limit) addFlags(cmd *cobra.Command) {
	l.target.addFlags(cmd, "project the quota applies to (required)")
	cmd.Flags().IntVar(&l.hardLimit, "hard-limit", 1, "most resources the project may have")
	_ = cmd.MarkFlagRequired("project-id")
	_ = cmd.MarkFlagRequired("hard-limit")
}

// request returns the full quota: Magnum resets omitted fields to their
// defaults on update.
func (l *limit) request() v1.QuotaRequest {
	return v1.QuotaRequest{ProjectID: &l.projectID, Resource: &l.resource, HardLimit: &l.hardLimit}
}
