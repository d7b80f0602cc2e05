package ccm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
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
	// Instances reports on nodes' machines. Optional.
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

// Run is the cloud controller of one cluster: it runs the upstream service
// controller, which gives every Service of type LoadBalancer a load
// balancer from cfg.Backend, writes its address to the Service's
// status.loadBalancer.ingress, points it at the nodes as they come and go,
// and deletes it when the Service is deleted or changes type (holding the
// Service with the finalizer service.kubernetes.io/load-balancer-cleanup
// until then).
//
// Run blocks until ctx is cancelled, then stops the controller and its
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
	// New asked the factory for its informers; Start runs them.
	factory.Start(ctx.Done())

	log.Info("cloud controller started")
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		ctrl.Run(ctx, serviceWorkers, controllersmetrics.NewControllerManagerMetrics("slipway-cloud-controller"))
	}()
	<-ctx.Done()
	<-stopped
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
