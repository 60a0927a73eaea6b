package service

import (
	"context"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/controller/internal/ipam"
	"github.com/ironlb/ironlb/controller/internal/notify"
	"github.com/ironlb/ironlb/internal/allocator"
	"github.com/ironlb/ironlb/internal/config"
)

// FieldOwner is the field manager of the controller's Service status
// patches. They are strategic merge patches, which merge conditions by type,
// so the Allocated and Announced writers never overwrite each other.
const FieldOwner = "ironlb-controller"

// Reconciler allocates addresses to LoadBalancer Services and writes their
// status.
type Reconciler struct {
	Client         client.Client
	Recorder       events.EventRecorder
	State          *ipam.State
	ServeClassless bool
	// Workers is the number of Services reconciled at once.
	Workers int
	// Pools is told which IPPools' usage changed.
	Pools *notify.Notifier
	// Retry re-queues waiting Services when addresses are released.
	Retry   *notify.Notifier
	Metrics *Metrics

	mu      sync.Mutex
	waiting map[types.NamespacedName]struct{}
}

// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=services/status,verbs=get;patch;update
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=ironlb.io,resources=ippools,verbs=get;list;watch

// Reconcile allocates for one Service.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	snap, err := r.State.Sync(ctx)
	if err != nil {
		return reconcile.Result{}, err
	}
	var svc corev1.Service
	if err := r.Client.Get(ctx, req.NamespacedName, &svc); err != nil {
		if apierrors.IsNotFound(err) {
			r.release(req.NamespacedName)
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, err
	}
	if !config.Served(&svc, r.ServeClassless) {
		// Type or class changed: free the addresses; the status is not ours
		// to touch any more.
		r.release(req.NamespacedName)
		return reconcile.Result{}, nil
	}

	start := time.Now()
	out := Allocate(r.State.Alloc, snap.Config, &svc)
	r.Metrics.observe(out, time.Since(start))
	r.afterChange(req.NamespacedName, out)

	if err := r.writeStatus(ctx, &svc, out); err != nil {
		return reconcile.Result{}, err
	}
	return reconcile.Result{}, nil
}

// release frees a Service's addresses, if it held any.
func (r *Reconciler) release(nn types.NamespacedName) {
	key := keyOf(nn)
	before := r.State.Alloc.Assigned(key)
	r.State.Alloc.Release(key)
	r.afterChange(nn, Outcome{Before: before})
}

// afterChange tells the pool status writer which pools changed, and when
// addresses were freed retries the Services waiting for one.
func (r *Reconciler) afterChange(nn types.NamespacedName, out Outcome) {
	before := out.Before
	r.mu.Lock()
	if r.waiting == nil {
		r.waiting = map[types.NamespacedName]struct{}{}
	}
	if out.Waiting {
		r.waiting[nn] = struct{}{}
	} else {
		delete(r.waiting, nn)
	}
	var retry []types.NamespacedName
	freed := slices.ContainsFunc(before, func(a allocator.Assignment) bool {
		return !slices.ContainsFunc(out.Held, func(b allocator.Assignment) bool { return a.IP == b.IP })
	})
	if freed {
		for k := range r.waiting {
			retry = append(retry, k)
		}
	}
	r.mu.Unlock()
	r.Retry.Add(retry...)

	var pools []types.NamespacedName
	for _, pair := range [][2][]allocator.Assignment{{before, out.Held}, {out.Held, before}} {
		for _, a := range pair[0] {
			if a.Pool != "" && !slices.Contains(pair[1], a) {
				pools = append(pools, types.NamespacedName{Name: a.Pool})
			}
		}
	}
	r.Pools.Add(pools...)
}

// writeStatus applies the ingress and the Allocated condition, if they
// differ from what the Service has, and records an Event when the condition
// changes.
func (r *Reconciler) writeStatus(ctx context.Context, svc *corev1.Service, out Outcome) error {
	want := ingress(out.Held, out.IPMode, svc.Status.LoadBalancer.Ingress)
	old := meta.FindStatusCondition(svc.Status.Conditions, ironlbv1.ServiceConditionAllocated)
	sameCond := old != nil && old.Status == out.Status && old.Reason == out.Reason && old.Message == out.Message &&
		old.ObservedGeneration == svc.Generation
	if sameCond && sameIngress(svc.Status.LoadBalancer.Ingress, want) {
		return nil
	}

	condChanged := old == nil || old.Status != out.Status || old.Reason != out.Reason || old.Message != out.Message
	patch, err := statusPatch(svc, want, metav1.Condition{
		Type:               ironlbv1.ServiceConditionAllocated,
		Status:             out.Status,
		Reason:             out.Reason,
		Message:            out.Message,
		ObservedGeneration: svc.Generation,
	})
	if err != nil {
		return err
	}
	if err := r.Client.Status().Patch(ctx, svc, patch, client.FieldOwner(FieldOwner)); err != nil {
		return err
	}
	if condChanged {
		kind := corev1.EventTypeNormal
		if out.Status != metav1.ConditionTrue || out.Reason != ironlbv1.ReasonAllocated {
			kind = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(svc, nil, kind, out.Reason, "Allocate", "%s", out.Message)
	}
	return nil
}

// SetupWithManager registers the controller: it watches Services, and
// re-checks every Service when a pool or a namespace's labels change.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	all := handler.EnqueueRequestsFromMapFunc(r.servicesOf(""))
	inNamespace := handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		return r.servicesOf(o.GetName())(ctx, o)
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("service").
		For(&corev1.Service{}).
		Watches(&ironlbv1.IPPool{}, all, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		Watches(&corev1.Namespace{}, inNamespace, builder.WithPredicates(predicate.LabelChangedPredicate{})).
		WatchesRawSource(source.Channel(r.Retry.Events(), &handler.EnqueueRequestForObject{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(r.Workers, 1)}).
		Complete(r)
}

// servicesOf lists the Services the controller serves, in one namespace or
// ("") in all.
func (r *Reconciler) servicesOf(ns string) handler.MapFunc {
	return func(ctx context.Context, _ client.Object) []reconcile.Request {
		// An IPPool or a Namespace changed: the reconciles about to be
		// queued must see it.
		r.State.Invalidate()
		var list corev1.ServiceList
		if err := r.Client.List(ctx, &list, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
			return nil
		}
		var reqs []reconcile.Request
		for i := range list.Items {
			if config.Served(&list.Items[i], r.ServeClassless) {
				reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
			}
		}
		return reqs
	}
}
