package ccm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	nodecontroller "k8s.io/cloud-provider/controllers/node"
	nodelifecycle "k8s.io/cloud-provider/controllers/nodelifecycle"
	servicecontroller "k8s.io/cloud-provider/controllers/service"
	"k8s.io/component-base/featuregate"
	controllersmetrics "k8s.io/component-base/metrics/prometheus/controllers"
	"k8s.io/klog/v2"
)

// ErrInvalidConfig is returned by Run and Manager.Start for a Config that
// lacks a required field.
var ErrInvalidConfig = errors.New("invalid cloud controller config")

// serviceWorkers is how many Services the controller syncs at once. A
// Slipway cluster has few load balancers, and each is an orchestration
// stack, so a small number keeps the provider calm.
const serviceWorkers = 2

// nodeStatusPeriod is how often the node controller rewrites every
// initialized node's addresses from its server, and nodeMonitorPeriod how
// often the lifecycle controller looks for NotReady nodes whose server is
// gone or stopped (upstream's defaults are 5 minutes and 5 seconds). A
// node is initialized as soon as it registers, whatever the periods.
const (
	nodeStatusPeriod  = time.Minute
	nodeMonitorPeriod = 5 * time.Second
)

// Config is what Run needs for one cluster.
type Config struct {
	// ClusterID is the cluster's uuid; load balancer names start with it.
	// Required.
	ClusterID string
	// ClusterName is handed to the service controller, which only passes
	// it back to the cloud. Defaults to ClusterID.
	ClusterName string
	// Client reaches the cluster's API server with admin credentials.
	// Required.
	Client kubernetes.Interface
	// Backend makes the cluster's load balancers. Required.
	Backend Backend
	// Instances finds the servers behind nodes. Optional: without it only
	// the service controller runs, and kubelets must not be started with
	// --cloud-provider=external, whose nodes would wait for it forever.
	Instances Instances
	// Log receives this package's records, with a cluster attribute.
	// Optional. The upstream controller logs through klog: see RouteKlog.
	Log *slog.Logger
}

func (c Config) validate() error {
	var errs []error
	if c.ClusterID == "" {
		errs = append(errs, errors.New("cluster id is empty"))
	}
	if c.Client == nil {
		errs = append(errs, errors.New("client is nil"))
	}
	if c.Backend == nil {
		errs = append(errs, errors.New("backend is nil"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return nil
}

// Run is the cloud controller of one cluster. It runs the upstream
// controllers of k8s.io/cloud-provider over the cluster's informers:
//
//   - the service controller gives every Service of type LoadBalancer a
//     load balancer from cfg.Backend, writes its address to the Service's
//     status.loadBalancer.ingress, points it at the nodes as they come and
//     go, and deletes it when the Service is deleted or changes type
//     (holding the Service with the finalizer
//     service.kubernetes.io/load-balancer-cleanup until then);
//   - with cfg.Instances, the node controller initializes each node that
//     registers with the node.cloudprovider.kubernetes.io/uninitialized
//     taint (kubelet's --cloud-provider=external): it sets spec.providerID,
//     the instance-type label and the addresses from the node's server, then
//     lifts the taint; and the node lifecycle controller deletes a NotReady
//     node whose server is gone, and taints one whose server is stopped.
//
// Run blocks until ctx is cancelled, then stops the controllers and their
// informers and returns nil. When Run has returned, no Backend call is
// running and none will start. It returns an error only when it cannot
// start.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	clusterName := cfg.ClusterName
	if clusterName == "" {
		clusterName = cfg.ClusterID
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("cluster", cfg.ClusterID)

	cloud := NewCloud(cfg.ClusterID, cfg.Backend, cfg.Instances, log)
	// No periodic resync: the service controller only acts on changes,
	// and retries failures through its own rate-limited queue.
	factory := informers.NewSharedInformerFactory(cfg.Client, 0)
	// The feature gate is an argument of New but no feature is read from
	// it in v0.37; a private, empty gate keeps the process-global one out.
	ctrl, err := servicecontroller.New(cloud, cfg.Client,
		factory.Core().V1().Services(), laterNodesOnly{factory.Core().V1().Nodes()},
		clusterName, featuregate.NewFeatureGate())
	if err != nil {
		return fmt.Errorf("start cloud controller of cluster %s: %w", cfg.ClusterID, err)
	}
	metrics := controllersmetrics.NewControllerManagerMetrics("slipway-cloud-controller")
	var runners []func()
	if cfg.Instances != nil {
		nodes, err := nodecontroller.NewCloudNodeController(factory.Core().V1().Nodes(), cfg.Client, cloud,
			nodeStatusPeriod, 1, 1)
		if err != nil {
			return fmt.Errorf("start the node controller of cluster %s: %w", cfg.ClusterID, err)
		}
		lifecycle, err := nodelifecycle.NewCloudNodeLifecycleController(factory.Core().V1().Nodes(), cfg.Client, cloud,
			nodeMonitorPeriod, 1)
		if err != nil {
			return fmt.Errorf("start the node lifecycle controller of cluster %s: %w", cfg.ClusterID, err)
		}
		runners = append(runners,
			func() { nodes.RunWithContext(ctx, metrics) },
			func() { lifecycle.Run(ctx, metrics) })
	}
	runners = append(runners, func() { ctrl.Run(ctx, serviceWorkers, metrics) })
	// New asked the factory for its informers; Start runs them.
	factory.Start(ctx.Done())

	log.Info("cloud controller started", "nodes", cfg.Instances != nil)
	var wg sync.WaitGroup
	for _, run := range runners {
		wg.Go(run)
	}
	<-ctx.Done()
	wg.Wait()
	// The controller's workers may still be finishing a sync: fence the
	// Backend so that nothing reaches the provider after Run returns.
	cloud.lb.stop()
	factory.Shutdown()
	log.Info("cloud controller stopped")
	return nil
}

// RouteKlog sends klog's output, which includes the upstream service
// controller's, to log. klog is process-global, so this affects every
// cluster's controller (their records carry no cluster attribute; this
// package's own records, through Config.Log, do) and any other klog user in
// the process. Call it once, from main, before the first Run. Without it
// klog writes to standard error. klog's verbosity stays at its default of
// 0, so the controller's V(2) chatter is dropped.
func RouteKlog(log *slog.Logger) {
	klog.SetSlogLogger(log)
}
