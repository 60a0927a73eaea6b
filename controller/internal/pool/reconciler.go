// Package pool keeps IPPool status current: address counts per family and
// the Ready and Conflict conditions. Allocations only mark a pool as changed;
// a notifier turns bursts of changes into at most one status write per pool
// per interval.
package pool

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/controller/internal/ipam"
	"github.com/ironlb/ironlb/controller/internal/notify"
	"github.com/ironlb/ironlb/internal/allocator"
	"github.com/ironlb/ironlb/internal/config"
	"github.com/ironlb/ironlb/internal/kube"
)

// Reconciler writes IPPool status.
type Reconciler struct {
	Client  Patcher
	Pools   *kube.Informer[*ironlbv1.IPPool]
	State   *ipam.State
	Changed *notify.Notifier
	Metrics *Metrics
}

// +kubebuilder:rbac:groups=ironlb.io,resources=ippools,verbs=get;list;watch
// +kubebuilder:rbac:groups=ironlb.io,resources=ippools/status,verbs=get;patch;update

// Patcher patches objects; a *kube.Client is one.
type Patcher interface {
	Patch(ctx context.Context, r kube.Resource, key types.NamespacedName, subresource string, pt types.PatchType, body []byte, fieldManager string) error
}

// Reconcile writes one pool's status if it changed.
func (r *Reconciler) Reconcile(ctx context.Context, key types.NamespacedName) (time.Duration, error) {
	snap, err := r.State.Sync(ctx)
	if err != nil {
		return 0, err
	}
	pool, ok := r.Pools.Get(key) // the cache's own: read only
	if !ok {
		r.Metrics.forget(key.Name)
		return 0, nil
	}
	status := Desired(pool, snap, r.State.Alloc)
	r.Metrics.set(pool.Name, status)
	for i := range status.Conditions {
		if old := meta.FindStatusCondition(pool.Status.Conditions, status.Conditions[i].Type); old != nil && old.Status == status.Conditions[i].Status {
			status.Conditions[i].LastTransitionTime = old.LastTransitionTime
		}
	}
	if equality.Semantic.DeepEqual(pool.Status, status) {
		return 0, nil
	}
	body, err := kube.MergePatch(map[string]any{"status": pool.Status}, map[string]any{"status": status})
	if err != nil {
		return 0, err
	}
	if err := r.Client.Patch(ctx, kube.IPPools, key, "status", types.MergePatchType, body, ""); err != nil {
		if apierrors.IsNotFound(err) {
			return 0, nil // deleted meanwhile
		}
		return 0, fmt.Errorf("patch IPPool %q status: %w", pool.Name, err)
	}
	return 0, nil
}

// Desired computes a pool's status from the parsed configuration and the
// allocator. It is pure apart from reading the allocator.
func Desired(pool *ironlbv1.IPPool, snap ipam.Snapshot, alloc *allocator.Allocator) ironlbv1.IPPoolStatus {
	var st ironlbv1.IPPoolStatus
	now := metav1.Now()
	cond := func(typ string, ok bool, reason, msg string) {
		s := metav1.ConditionFalse
		if ok {
			s = metav1.ConditionTrue
		}
		st.Conditions = append(st.Conditions, metav1.Condition{
			Type: typ, Status: s, Reason: reason, Message: msg,
			ObservedGeneration: pool.Generation, LastTransitionTime: now,
		})
	}

	problems := snap.Problems.For(config.KindIPPool, pool.Name)
	var overlap, other []string
	for _, p := range problems {
		if p.Reason == ironlbv1.ReasonOverlap {
			overlap = append(overlap, p.Error())
		} else {
			other = append(other, p.Error())
		}
	}
	if len(overlap) > 0 {
		cond(ironlbv1.ConditionConflict, true, ironlbv1.ReasonOverlap, strings.Join(overlap, "; "))
	} else {
		cond(ironlbv1.ConditionConflict, false, ironlbv1.ReasonNoOverlap, "the pool overlaps no older pool")
	}

	if _, ok := snap.Config.Pools[pool.Name]; !ok {
		reason := ironlbv1.ReasonInvalid
		if len(overlap) > 0 {
			reason = ironlbv1.ReasonOverlap
		}
		cond(ironlbv1.ConditionReady, false, reason, "the pool is not used: "+strings.Join(append(other, overlap...), "; "))
		return st
	}
	v4, v6 := alloc.Stats(pool.Name)
	st.IPv4, st.IPv6 = usage(v4), usage(v6)
	msg := "the pool is used for allocation"
	if orphans := snap.Orphans[pool.Name]; len(orphans) > 0 {
		msg += fmt.Sprintf("; %d address(es) no longer in spec.addresses are still assigned and kept: %s", len(orphans), strings.Join(orphans, ", "))
	}
	cond(ironlbv1.ConditionReady, true, ironlbv1.ReasonValid, msg)
	return st
}

func usage(c allocator.Counts) *ironlbv1.FamilyUsage {
	if c.Total.IsZero() {
		return nil
	}
	return &ironlbv1.FamilyUsage{
		Total:     c.Total.String(),
		Assigned:  int64(c.Assigned.Uint64()),
		Available: c.Available.String(),
		Usage:     c.Assigned.String() + "/" + c.Total.String(),
	}
}

// allPools lists every pool, and the one that changed, which a deletion
// has already taken out of the cache.
func (r *Reconciler) allPools(changed *ironlbv1.IPPool) []types.NamespacedName {
	r.State.Invalidate()
	keys := []types.NamespacedName{kube.KeyOf(changed)}
	for _, p := range r.Pools.List() {
		keys = append(keys, kube.KeyOf(p))
	}
	return keys
}

// Watch queues the pools to reconcile. A pool's spec change can change
// every pool's status (an overlap appears or goes away), so every pool is
// checked. Status writes, the reconciler's own included, queue nothing:
// usage changes arrive through Changed, at most once per interval per pool.
func (r *Reconciler) Watch(ctx context.Context, q *kube.Queue) error {
	all := func(p *ironlbv1.IPPool) { q.Add(r.allPools(p)...) }
	if err := r.Pools.Handle(kube.Handler[*ironlbv1.IPPool]{
		Add: all,
		Update: func(o, n *ironlbv1.IPPool) {
			if o.Generation != n.Generation {
				all(n)
			}
		},
		Delete: all,
	}); err != nil {
		return err
	}
	go q.AddFrom(ctx, r.Changed.Events())
	return nil
}
