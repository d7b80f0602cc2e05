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

// Validator is implemented by drivers that check templates and clusters
// when the API receives them, so that a bad value is a 400 at once rather
// than a failed create later.
type Validator interface {
	// ValidateTemplate checks a template being created or changed.
	ValidateTemplate(t *model.ClusterTemplate) error
	// ValidateCluster checks a cluster being created from t.
	ValidateCluster(c *model.Cluster, t *model.ClusterTemplate) error
}

// UpgradeValidator is implemented by drivers that can refuse an upgrade at
// the API, before it starts: a 400 beats an UPDATE_FAILED.
type UpgradeValidator interface {
	// ValidateUpgrade checks moving c from its template from to the
	// template to. Errors are model.Invalidf and say what to do instead.
	ValidateUpgrade(c *model.Cluster, from, to *model.ClusterTemplate) error
}

// Registry maps a template's coe to its driver. cmd/ fills it.
type Registry map[string]Driver

// Lookup returns the driver for coe.
func (r Registry) Lookup(coe string) (Driver, bool) {
	d, ok := r[coe]
	return d, ok
}

// Validator returns the coe's driver as a Validator, if it is one.
func (r Registry) Validator(coe string) (Validator, bool) {
	v, ok := r[coe].(Validator)
	return v, ok
}

// UpgradeValidator returns the driver of coe if it validates upgrades.
func (r Registry) UpgradeValidator(coe string) (UpgradeValidator, bool) {
	v, ok := r[coe].(UpgradeValidator)
	return v, ok
}

// ErrSuperseded is what a driver returns when the cluster was given
// another operation while it worked (a delete while it created): the
// conductor starts over with the stored cluster at once.
var ErrSuperseded = errors.New("the cluster's operation was superseded")

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

// Monitor is implemented by drivers that can tell whether a running
// cluster is healthy. The conductor's health monitor calls it for every
// cluster whose last operation completed.
type Monitor interface {
	// Health reports the cluster's health and why, in Magnum's
	// health_status_reason form ({"api": "ok", "<node>.Ready": "True"}).
	Health(ctx context.Context, s *Scope) (model.HealthStatus, map[string]string, error)
}
