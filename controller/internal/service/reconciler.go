package service

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/controller/internal/ipam"
	"github.com/ironlb/ironlb/controller/internal/lbsvc"
	"github.com/ironlb/ironlb/controller/internal/notify"
	"github.com/ironlb/ironlb/internal/allocator"
	"github.com/ironlb/ironlb/internal/eventsink"
	"github.com/ironlb/ironlb/internal/kube"
)

// FieldOwner is the field manager of the controller's Service status
// patches. They are strategic merge patches, which merge conditions by type,
// so the Allocated and Announced writers never overwrite each other.
const FieldOwner = "ironlb-controller"

// Reconciler allocates addresses to LoadBalancer Services and writes their
// status.
type Reconciler struct {
	Client         Patcher
	Services       *kube.Informer[*lbsvc.Service]
	Recorder       eventsink.EventRecorder
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

// Patcher patches objects; a *kube.Client is one.
type Patcher interface {
	Patch(ctx context.Context, r kube.Resource, key types.NamespacedName, subresource string, pt types.PatchType, body []byte, fieldManager string) error
}

// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=services/status,verbs=get;patch;update
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=ironlb.io,resources=ippools,verbs=get;list;watch

// Reconcile allocates for one Service.
func (r *Reconciler) Reconcile(ctx context.Context, key types.NamespacedName) (time.Duration, error) {
	snap, err := r.State.Sync(ctx)
	if err != nil {
		return 0, err
	}
	// The cache's own object: read, never changed.
	svc, ok := r.Services.Get(key)
	if !ok {
		r.release(key)
		return 0, nil
	}
	if !svc.Served(r.ServeClassless) {
		// Type or class changed: free the addresses; the status is not ours
		// to touch any more.
		r.release(key)
		return 0, nil
	}

	start := time.Now()
	out := Allocate(r.State.Alloc, snap.Config, svc)
	r.Metrics.observe(out, time.Since(start))
	r.afterChange(key, out)
	return 0, r.writeStatus(ctx, svc, out)
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
func (r *Reconciler) writeStatus(ctx context.Context, svc *lbsvc.Service, out Outcome) error {
	want := ingress(out.Held, out.IPMode, svc.Ingress)
	cond := metav1.Condition{
		Type:               ironlbv1.ServiceConditionAllocated,
		Status:             out.Status,
		Reason:             out.Reason,
		Message:            out.Message,
		ObservedGeneration: svc.Generation,
	}
	old := svc.Condition(cond.Type)
	if old.Same(&cond) && sameIngress(svc.Ingress, want) {
		return nil
	}

	condChanged := !old.Says(&cond)
	body, err := statusPatch(svc, want, cond)
	if err != nil {
		return err
	}
	if err := r.Client.Patch(ctx, kube.Services, svc.Key(), "status", types.StrategicMergePatchType, body, FieldOwner); err != nil {
		if apierrors.IsNotFound(err) {
			return nil // deleted meanwhile; the deletion releases
		}
		return err
	}
	if condChanged {
		kind := corev1.EventTypeNormal
		if out.Status != metav1.ConditionTrue || out.Reason != ironlbv1.ReasonAllocated {
			kind = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(svc.Ref(), nil, kind, out.Reason, "Allocate", "%s", out.Message)
	}
	return nil
}

// Watch queues the Services to reconcile: every change of one, every
// Service after an IPPool's spec or labels change, those of a namespace
// after its labels change, and those the Retry notifier names.
func (r *Reconciler) Watch(ctx context.Context, q *kube.Queue, pools *kube.Informer[*ironlbv1.IPPool], nss *kube.Informer[*corev1.Namespace]) error {
	if err := r.Services.Handle(kube.OnAny(func(s *lbsvc.Service) { q.Add(s.Key()) })); err != nil {
		return err
	}
	all := func() { q.Add(r.servicesOf("")...) }
	if err := pools.Handle(kube.Handler[*ironlbv1.IPPool]{
		Add: func(*ironlbv1.IPPool) { all() },
		Update: func(o, n *ironlbv1.IPPool) {
			if o.Generation != n.Generation || !maps.Equal(o.Labels, n.Labels) {
				all()
			}
		},
		Delete: func(*ironlbv1.IPPool) { all() },
	}); err != nil {
		return err
	}
	if err := nss.Handle(kube.Handler[*corev1.Namespace]{
		Add: func(n *corev1.Namespace) { q.Add(r.servicesOf(n.Name)...) },
		Update: func(o, n *corev1.Namespace) {
			if !maps.Equal(o.Labels, n.Labels) {
				q.Add(r.servicesOf(n.Name)...)
			}
		},
		Delete: func(n *corev1.Namespace) { q.Add(r.servicesOf(n.Name)...) },
	}); err != nil {
		return err
	}
	go q.AddFrom(ctx, r.Retry.Events())
	return nil
}

// servicesOf lists the Services the controller serves, in one namespace or
// ("") in all.
func (r *Reconciler) servicesOf(ns string) []types.NamespacedName {
	// An IPPool or a Namespace changed: the reconciles about to be
	// queued must see it.
	r.State.Invalidate()
	// The Service cache has no namespace index: a Namespace's labels
	// change too seldom for a set entry per Service.
	var keys []types.NamespacedName
	for _, s := range r.Services.List() {
		if (ns == "" || s.Namespace == ns) && s.Served(r.ServeClassless) {
			keys = append(keys, s.Key())
		}
	}
	return keys
}
