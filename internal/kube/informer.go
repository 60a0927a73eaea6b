package kube

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// Object is a Kubernetes object of one concrete type, such as
// *corev1.Service.
type Object interface {
	runtime.Object
	metav1.Object
}

// Informer caches the objects of one kind and tells handlers about
// changes. The objects it returns are the cache's own: read them, never
// change them (copy first).
type Informer[T any] struct {
	inf cache.SharedIndexInformer
}

// InformerOptions configure an Informer.
type InformerOptions struct {
	// Namespace limits the cache to one namespace; "" caches all.
	Namespace string
	// Transform drops what is never read before an object is cached.
	Transform cache.TransformFunc
	// NoNamespaceIndex leaves out the index InNamespace reads, which
	// costs a set entry per object; for kinds read by namespace too
	// seldom to be worth it.
	NoNamespaceIndex bool
}

// NewInformer returns an informer of r; example is a zero object of its
// type, such as &corev1.Service{}.
func NewInformer[T Object](c *Client, r Resource, example T, o InformerOptions) *Informer[T] {
	return newInformer[T](c, r, example, o)
}

// NewInformerAs returns an informer of r that caches objects of another
// type than r's: o.Transform turns each object of r (such as example,
// &corev1.Service{}) into a T, which must implement
// metav1.ObjectMetaAccessor for the cache to key it, and must return a T
// unchanged.
func NewInformerAs[T metav1.ObjectMetaAccessor](c *Client, r Resource, example Object, o InformerOptions) *Informer[T] {
	return newInformer[T](c, r, example, o)
}

func newInformer[T any](c *Client, r Resource, example Object, o InformerOptions) *Informer[T] {
	indexers := cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}
	if o.NoNamespaceIndex {
		indexers = nil
	}
	inf := cache.NewSharedIndexInformerWithOptions(c.ListWatch(r, o.Namespace), example, cache.SharedIndexInformerOptions{
		Indexers:          indexers,
		ObjectDescription: r.Name,
	})
	if o.Transform != nil {
		// Only fails once the informer runs.
		_ = inf.SetTransform(o.Transform)
	}
	return &Informer[T]{inf: inf}
}

// Run fills the cache and keeps it current until ctx ends.
func (i *Informer[T]) Run(ctx context.Context) { i.inf.RunWithContext(ctx) }

// HasSynced reports whether the first list is in the cache.
func (i *Informer[T]) HasSynced() bool { return i.inf.HasSynced() }

// Get returns the cached object with this key.
func (i *Informer[T]) Get(key types.NamespacedName) (T, bool) {
	k := key.Name
	if key.Namespace != "" {
		k = key.Namespace + "/" + key.Name
	}
	obj, ok, err := i.inf.GetStore().GetByKey(k)
	if err != nil || !ok {
		var zero T
		return zero, false
	}
	t, ok := obj.(T)
	return t, ok
}

// List returns every cached object, in no order.
func (i *Informer[T]) List() []T { return typed[T](i.inf.GetStore().List()) }

// InNamespace returns the cached objects of one namespace; none if the
// informer has no namespace index (NoNamespaceIndex).
func (i *Informer[T]) InNamespace(ns string) []T {
	objs, err := i.inf.GetIndexer().ByIndex(cache.NamespaceIndex, ns)
	if err != nil {
		return nil
	}
	return typed[T](objs)
}

func typed[T any](objs []any) []T {
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// Handler is told about changes; nil functions are skipped. Delete gets
// the last state the cache knew, which may be older than the deletion.
type Handler[T any] struct {
	Add    func(T)
	Update func(old, new T)
	Delete func(T)
}

// Handle adds h; call it before Run.
func (i *Informer[T]) Handle(h Handler[T]) error {
	_, err := i.inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if t, ok := obj.(T); ok && h.Add != nil {
				h.Add(t)
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			o, ok1 := oldObj.(T)
			n, ok2 := newObj.(T)
			if ok1 && ok2 && h.Update != nil {
				h.Update(o, n)
			}
		},
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if t, ok := obj.(T); ok && h.Delete != nil {
				h.Delete(t)
			}
		},
	})
	return err
}

// OnAny is a Handler that calls f on every change.
func OnAny[T any](f func(T)) Handler[T] {
	return Handler[T]{Add: f, Update: func(_, n T) { f(n) }, Delete: f}
}

// KeyOf is an object's namespace and name.
func KeyOf(o metav1.Object) types.NamespacedName {
	return types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}
}

// Cache is an Informer of any type.
type Cache interface {
	Run(ctx context.Context)
	HasSynced() bool
}

// AllSynced reports whether every cache has its first list.
func AllSynced(caches []Cache) bool {
	for _, c := range caches {
		if !c.HasSynced() {
			return false
		}
	}
	return true
}

// WaitForSync waits until every informer has its first list, or ctx ends.
func WaitForSync[S interface{ HasSynced() bool }](ctx context.Context, infs ...S) bool {
	fns := make([]cache.InformerSynced, len(infs))
	for i, inf := range infs {
		fns[i] = inf.HasSynced
	}
	return cache.WaitForCacheSync(ctx.Done(), fns...)
}

// Values copies the structs that ptrs point to (shallowly), for code that
// takes slices of values.
func Values[T any](ptrs []*T) []T {
	out := make([]T, len(ptrs))
	for i, p := range ptrs {
		out[i] = *p
	}
	return out
}

// Group runs fns until ctx ends or one of them fails, then ends the
// context of the others and waits for them. It returns the first error.
func Group(ctx context.Context, fns ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(fns))
	for _, f := range fns {
		go func() { errs <- f(ctx) }()
	}
	var first error
	for range fns {
		if err := <-errs; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// AfterSync returns run, to be started only once every cache has its first
// list: work that reads a partial cache would act on objects it does not
// see yet (a speaker would withdraw their routes). It returns nil without
// running if ctx ends first.
func AfterSync(caches []Cache, run func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		if !WaitForSync(ctx, caches...) {
			return nil
		}
		return run(ctx)
	}
}
