package ccm

import (
	"time"

	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// laterNodesOnly is the node informer handed to the upstream service
// controller: its handlers see every node event except the adds of the
// initial list.
//
// Those adds only make the controller's node worker walk its cache of
// Services at start-up, while the service workers are still filling it;
// that walk does nothing useful (the cache is empty or being filled, and
// every Service's first EnsureLoadBalancer already lists the current
// nodes) and it is the usual moment for the upstream data race between the
// two workers (in v0.37.2, Controller.processServiceCreateOrUpdate writes
// cachedService.state without the cache's lock while
// serviceCache.allServices reads it under that lock). A node change that
// coincides with a Service change can still meet that race.
type laterNodesOnly struct{ coreinformers.NodeInformer }

func (n laterNodesOnly) Informer() cache.SharedIndexInformer {
	return skipInitialAdds{n.NodeInformer.Informer()}
}

// skipInitialAdds wraps every handler added to it in laterAdds.
type skipInitialAdds struct{ cache.SharedIndexInformer }

func (s skipInitialAdds) AddEventHandler(h cache.ResourceEventHandler) (cache.ResourceEventHandlerRegistration, error) {
	return s.SharedIndexInformer.AddEventHandler(laterAdds{h})
}

func (s skipInitialAdds) AddEventHandlerWithResyncPeriod(h cache.ResourceEventHandler, resync time.Duration) (cache.ResourceEventHandlerRegistration, error) {
	return s.SharedIndexInformer.AddEventHandlerWithResyncPeriod(laterAdds{h}, resync)
}

func (s skipInitialAdds) AddEventHandlerWithOptions(h cache.ResourceEventHandler, opts cache.HandlerOptions) (cache.ResourceEventHandlerRegistration, error) {
	return s.SharedIndexInformer.AddEventHandlerWithOptions(laterAdds{h}, opts)
}

// laterAdds passes on every event but the adds of the initial list.
type laterAdds struct{ cache.ResourceEventHandler }

func (l laterAdds) OnAdd(obj any, isInInitialList bool) {
	if !isInInitialList {
		l.ResourceEventHandler.OnAdd(obj, false)
	}
}
