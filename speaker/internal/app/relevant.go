package app

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ironlb/ironlb/internal/config"
)

// A node's plan only concerns Services that have an address: a Service
// without one, or its EndpointSlices, cannot change what any speaker
// announces. Creating a Service wakes every speaker three times (the
// Service, its EndpointSlice, its address); skipping the first two spares
// the cores the apiserver and controller need to assign the address.

// announced reports whether a change of this object (a Service, or a
// tombstone of one) can matter: it is served and has an address.
func announced(obj any, serveClassless bool) bool {
	if t, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return true // not known: do not risk missing a change
	}
	return len(svc.Status.LoadBalancer.Ingress) > 0 && config.Served(svc, serveClassless)
}

// sliceMatters reports whether a change of an EndpointSlice can matter:
// the Service it belongs to has an address (or is not known).
func sliceMatters(ctx context.Context, cache client.Reader, obj any, serveClassless bool) bool {
	if t, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	es, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return true
	}
	name := es.Labels[discoveryv1.LabelServiceName]
	if name == "" {
		return false // no Service reads it
	}
	var svc corev1.Service
	if err := cache.Get(ctx, client.ObjectKey{Namespace: es.Namespace, Name: name}, &svc); err != nil {
		// Not there (yet, or any more): the Service's own events poke
		// the pass that reads this slice. Any other error: poke.
		return client.IgnoreNotFound(err) != nil
	}
	return announced(&svc, serveClassless)
}

// filteredPoke pokes on every change of obj for which matters holds,
// before or after it.
func filteredPoke(poke func(), matters func(obj any) bool) toolscache.ResourceEventHandlerFuncs {
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if matters(obj) {
				poke()
			}
		},
		UpdateFunc: func(old, obj any) {
			if matters(old) || matters(obj) {
				poke()
			}
		},
		DeleteFunc: func(obj any) {
			if matters(obj) {
				poke()
			}
		},
	}
}
