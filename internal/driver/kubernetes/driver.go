// Package kubernetes is Slipway's driver for coe kubernetes: it turns a
// Magnum cluster into a HOT stack of machines that run upstream
// Kubernetes, and keeps the cluster's Magnum fields true. The design is
// docs/design/kubernetes-driver.md.
package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/artifacts"
	"github.com/slipway/slipway/internal/driver"
	"github.com/slipway/slipway/internal/driver/kubernetes/ccm"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/engine"
	"github.com/slipway/slipway/internal/provider"
	"github.com/slipway/slipway/internal/store"
)

// Stacks is the orchestration engine as the driver uses it;
// *engine.Service implements it.
type Stacks interface {
	Create(ctx context.Context, req engine.StackRequest) (*model.Stack, error)
	Update(ctx context.Context, stackID string, req engine.StackRequest) (*model.Stack, error)
	Get(ctx context.Context, stackID string) (*model.Stack, error)
	Delete(ctx context.Context, stackID string) error
	ResourceTree(ctx context.Context, stackID string, depth int) ([]engine.NestedResource, error)
}

// Options are the driver's dependencies.
type Options struct {
	Store  store.Store
	Stacks Stacks
	// Servers reports the provider's servers as they are now, for the
	// cloud controller's node controllers. Without it (a process that runs
	// no provider) clusters are not made.
	Servers provider.Servers
	// Artifacts is the host's artifacts cache: the binaries every machine
	// runs, built on demand.
	Artifacts *artifacts.Cache
	// Images, if set, receives a version's images after it is built (the
	// embedded registry).
	Images artifacts.Publisher
	// RegistryURL is where machines reach the embedded registry, such as
	// http://10.250.0.1:9511; every node's containerd uses it as the
	// mirror of registry.k8s.io and docker.io.
	RegistryURL string
	// TemplateDir, if it holds node.yaml (or <server_type>/node.yaml),
	// replaces the embedded node template: an operator's own port, server
	// and wait condition, with the same parameters and outputs.
	TemplateDir string
	// RestrictOOMScoreAdj sets containerd's restrict_oom_score_adj, for
	// hosts that withhold CAP_SYS_RESOURCE.
	RestrictOOMScoreAdj bool
	Log                 *slog.Logger
	// PollInterval is how often the driver looks at a stack or the API
	// while it waits. Default 100ms.
	PollInterval time.Duration
	// ReadyTimeout bounds the wait for every node to turn Ready once the
	// stack is complete. Default 5 minutes.
	ReadyTimeout time.Duration
}

// Driver is the kubernetes driver. It is safe for concurrent use: the
// conductor holds a lease on each cluster it works on.
type Driver struct {
	opts Options
	log  *slog.Logger
	// ccm runs each cluster's cloud controller in this process.
	ccm *ccm.Manager
}

// New returns the driver.
func New(opts Options) (*Driver, error) {
	if opts.Store == nil || opts.Stacks == nil || opts.Artifacts == nil {
		return nil, errors.New("kubernetes driver: a store, the orchestration engine and the artifacts cache are required")
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 100 * time.Millisecond
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = 5 * time.Minute
	}
	log := opts.Log.With("driver", "kubernetes")
	return &Driver{opts: opts, log: log, ccm: ccm.NewManager(log)}, nil
}

var _ driver.Driver = (*Driver)(nil)

// ValidateTemplate implements driver.Validator: a template's labels must
// have values this driver understands.
func (d *Driver) ValidateTemplate(t *model.ClusterTemplate) error {
	return ValidateLabels(t.Labels)
}

// ValidateCluster implements driver.Validator.
func (d *Driver) ValidateCluster(c *model.Cluster, t *model.ClusterTemplate) error {
	_, err := configOf(c, t)
	return err
}

// Close stops the cloud controllers this driver runs, and waits for them:
// after it, none reaches the store or the provider.
func (d *Driver) Close() error {
	d.ccm.StopAll()
	return nil
}

// ensureArtifacts returns the version's manifest, building it first when
// it is not cached (and saying so in the cluster's status).
func (d *Driver) ensureArtifacts(ctx context.Context, version string, progress func(string)) (*artifacts.Manifest, error) {
	m, err := d.opts.Artifacts.Lookup(version)
	if err == nil {
		return m, nil
	}
	progress("building Kubernetes " + version)
	m, err = d.opts.Artifacts.Ensure(ctx, version)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var be *artifacts.BuildError
		if errors.As(err, &be) || errors.Is(err, artifacts.ErrBadVersion) || errors.Is(err, artifacts.ErrUnsupportedVersion) {
			return nil, driver.Permanent(err)
		}
		return nil, err
	}
	if d.opts.Images != nil {
		if err := artifacts.Publish(ctx, d.opts.Images, m); err != nil {
			return nil, fmt.Errorf("publish the images of Kubernetes %s: %w", version, err)
		}
	}
	return m, nil
}

// waitStack waits until the stack's operation in progress ends and
// returns the stack. A failed operation is an error with the stack's
// reason. stop, if set, is asked while it waits: true gives up with
// driver.ErrSuperseded.
func (d *Driver) waitStack(ctx context.Context, id string, stop func() bool) (*model.Stack, error) {
	t := time.NewTicker(d.opts.PollInterval)
	defer t.Stop()
	for {
		st, err := d.opts.Stacks.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		switch st.Status {
		case model.StateComplete:
			return st, nil
		case model.StateFailed:
			return st, fmt.Errorf("stack %s %s failed: %s", st.Name, strings.ToLower(string(st.Action)), st.StatusReason)
		}
		if stop != nil && stop() {
			return nil, driver.ErrSuperseded
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// outputs returns a stack's outputs by key.
func outputs(st *model.Stack) map[string]any {
	out := map[string]any{}
	for _, o := range st.Outputs {
		out[o.Key] = o.Value
	}
	return out
}

// HasCapSysResource reports whether this process holds CAP_SYS_RESOURCE;
// without it runc cannot give containers a negative oom_score_adj, and
// containerd must clamp them (restrict_oom_score_adj).
func HasCapSysResource() bool {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<24) != 0
		}
	}
	return false
}
