package driver

import (
	"context"
	"errors"

	"github.com/slipway/slipway/internal/model"
)

// Scope is what a driver works on: the cluster, its template and its
// nodegroups as stored. The driver records what it observes (addresses,
// versions, the stack id) on these objects; the conductor persists them.
type Scope struct {
	Cluster    *model.Cluster
	Template   *model.ClusterTemplate
	NodeGroups []*model.NodeGroup
	// Progress reports a step of a long operation; it lands in the
	// cluster's status_reason while the operation runs.
	Progress func(reason string)
}

// Driver converges clusters of one COE. Both methods are level-triggered
// and idempotent: calling one twice has the effect of calling it once.
type Driver interface {
	// Apply makes the cluster's infrastructure match the scope: it creates
	// what is missing, resizes, upgrades and removes deleted nodegroups.
	Apply(ctx context.Context, s *Scope) error
	// Delete removes everything the cluster owns. Deleting what is already
	// gone succeeds.
	Delete(ctx context.Context, s *Scope) error
}

// Registry maps a template's coe to its driver. cmd/ fills it.
type Registry map[string]Driver

// Lookup returns the driver for coe.
func (r Registry) Lookup(coe string) (Driver, bool) {
	d, ok := r[coe]
	return d, ok
}

// permanent marks an error that retrying cannot fix.
type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }

// Permanent marks err as one that retrying cannot fix: the conductor fails
// the operation at once with err as the reason.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanent{err: err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanent
	return errors.As(err, &p)
}
