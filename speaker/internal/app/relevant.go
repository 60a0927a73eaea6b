package app

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/ironlb/ironlb/internal/kube"

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
// the Service it belongs to has an address. get reads the Service cache.
func sliceMatters(get func(types.NamespacedName) (*corev1.Service, bool), obj any, serveClassless bool) bool {
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
	svc, ok := get(types.NamespacedName{Namespace: es.Namespace, Name: name})
	if !ok {
		// Not there (yet, or any more): the Service's own events poke
		// the pass that reads this slice.
		return false
	}
	return announced(svc, serveClassless)
}

// filtered pokes on every change of an object for which matters holds,
// before or after it.
func filtered[T kube.Object](poke func(), matters func(T) bool) kube.Handler[T] {
	return kube.Handler[T]{
		Add: func(o T) {
			if matters(o) {
				poke()
			}
		},
		Update: func(old, o T) {
			if matters(old) || matters(o) {
				poke()
			}
		},
		Delete: func(o T) {
			if matters(o) {
				poke()
			}
		},
	}
}
