// Package announced writes the ironlb.io/Announced condition of every
// Service ironlb serves: which nodes advertise each of its addresses to
// which BGP peers, and which node answers ARP/NDP for it on which
// interfaces. Only the controller writes it, from the SpeakerStatus of every
// node: speakers each know their own part, and several of them writing one
// condition would overwrite each other.
//
// Statuses change in bursts (a node's sessions come up, a pass moves many
// Services), so one pass reads everything and patches only the Services
// whose condition changed, and passes are spaced by at least MinInterval.
package announced

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/controller/internal/lbsvc"
	"github.com/ironlb/ironlb/internal/kube"
)

// Reasons of the Announced condition.
const (
	ReasonAnnounced       = "Announced"
	ReasonPartlyAnnounced = "PartlyAnnounced"
	ReasonNotAnnounced    = "NotAnnounced"
	ReasonNoAddress       = "NoAddress"
)

// DefaultGrace is the Grace of a Reconciler that sets none.
const DefaultGrace = 5 * time.Second

// Reconciler writes the Announced condition.
type Reconciler struct {
	Client Patcher
	// ServeClassless is the controller's flag: Services without a
	// loadBalancerClass are ironlb's.
	ServeClassless bool
	// FieldOwner is the field manager of the status patches.
	FieldOwner string
	// MinInterval spaces the passes; 0 means 250 ms.
	MinInterval time.Duration
	// Grace is how long a newly allocated address may go unannounced
	// before the condition says so; 0 means DefaultGrace. The speakers
	// need a moment to announce it and report that they do; saying
	// NotAnnounced in between would be a false alarm and a wasted write.
	Grace time.Duration
	Clock clock.PassiveClock
	// Metrics count the Services by reason; nil exports nothing.
	Metrics *Metrics
	// Services and SpeakerStatuses return the cache's own objects, to be
	// read and not changed: a pass reads every Service several times a
	// second while things change, and even a shallow copy of 10,000 of
	// them is 6 MB.
	Services        func() []*lbsvc.Service
	SpeakerStatuses func() []*ironlbv1.SpeakerStatus

	last time.Time
}

// Patcher patches objects; a *kube.Client is one.
type Patcher interface {
	Patch(ctx context.Context, r kube.Resource, key types.NamespacedName, subresource string, pt types.PatchType, body []byte, fieldManager string) error
}

// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=services/status,verbs=get;patch;update
// +kubebuilder:rbac:groups=ironlb.io,resources=speakerstatuses,verbs=get;list;watch

// Reconcile recomputes the condition of every served Service.
func (r *Reconciler) Reconcile(ctx context.Context, _ types.NamespacedName) (time.Duration, error) {
	clk := r.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	every := r.MinInterval
	if every == 0 {
		every = 250 * time.Millisecond
	}
	if wait := every - clk.Since(r.last); !r.last.IsZero() && wait > 0 {
		return wait, nil
	}
	r.last = clk.Now()

	grace := r.Grace
	if grace == 0 {
		grace = DefaultGrace
	}

	svcs := r.Services()
	idx := newIndex(kube.Values(r.SpeakerStatuses()))
	var (
		errs  []error
		again time.Duration
	)
	counts := map[string]int{}
	now := clk.Now()
	for i, svc := range svcs {
		// A pass that writes thousands of conditions lasts seconds, and
		// the cache replaces each Service it writes: letting go of the
		// list's copy keeps the old one from living that long.
		svcs[i] = nil
		if !svc.Served(r.ServeClassless) {
			continue
		}
		c := condition(svc, idx)
		if wait := tooSoon(svc, c, now, grace); wait > 0 {
			// Counted as what it will say if nothing changes.
			counts[c.Reason]++
			if again == 0 || wait < again {
				again = wait
			}
			continue
		}
		reason := ReasonNoAddress // nil: no address yet, nothing written
		if c != nil {
			reason = c.Reason
		}
		counts[reason]++
		if err := r.update(ctx, svc, c); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
	}
	r.Metrics.set(counts)
	return again, errors.Join(errs...)
}

// tooSoon returns how much longer the NotAnnounced or PartlyAnnounced
// condition c of a Service whose address was allocated at most grace ago
// must wait before it is written; 0 means write it now. Only a Service
// without an Announced condition waits: one that had been announced and
// lost it says so at once.
func tooSoon(svc *lbsvc.Service, c *metav1.Condition, now time.Time, grace time.Duration) time.Duration {
	if c == nil || c.Status == metav1.ConditionTrue || c.Reason == ReasonNoAddress {
		return 0
	}
	if svc.Condition(ironlbv1.ServiceConditionAnnounced) != nil {
		return 0
	}
	alloc := svc.Condition(ironlbv1.ServiceConditionAllocated)
	if alloc == nil || alloc.Status() != metav1.ConditionTrue {
		return 0
	}
	return max(time.Unix(alloc.LastTransitionTime, 0).Add(grace).Sub(now), 0)
}

// condition is the Service's Announced condition; nil when there is
// nothing to say (no address, and no condition written before).
func condition(svc *lbsvc.Service, idx *index) *metav1.Condition {
	c := &metav1.Condition{Type: ironlbv1.ServiceConditionAnnounced, ObservedGeneration: svc.Generation}
	var said, missing []string
	for _, ing := range svc.Ingress {
		ip, err := netip.ParseAddr(ing.IP)
		if err != nil {
			continue
		}
		if d := idx.describe(ip); d != "" {
			said = append(said, d)
		} else {
			missing = append(missing, ip.String())
		}
	}
	hint := func() string {
		return fmt.Sprintf("no node announces %s; the speakers' Events on the Service say why (kubectl describe service -n %s %s)",
			strings.Join(missing, ", "), svc.Namespace, svc.Name)
	}
	switch {
	case len(said)+len(missing) == 0:
		if svc.Condition(c.Type) == nil {
			return nil
		}
		c.Status, c.Reason = metav1.ConditionFalse, ReasonNoAddress
		c.Message = "the Service has no address to announce; see the ironlb.io/Allocated condition"
	case len(missing) == 0:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, ReasonAnnounced, strings.Join(said, "; ")
	case len(said) == 0:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, ReasonNotAnnounced, hint()
	default:
		c.Status, c.Reason = metav1.ConditionFalse, ReasonPartlyAnnounced
		c.Message = strings.Join(said, "; ") + "; but " + hint()
	}
	return c
}

// update patches the condition when its status, reason or message changed.
func (r *Reconciler) update(ctx context.Context, svc *lbsvc.Service, c *metav1.Condition) error {
	if c == nil {
		return nil
	}
	old := svc.Condition(c.Type)
	if old.Same(c) {
		return nil
	}
	// A strategic merge patch merges conditions by type, so the
	// Allocated condition is left alone. The transition time is kept
	// while the status holds.
	body, err := json.Marshal(map[string]any{"status": map[string]any{
		"conditions": []metav1.Condition{lbsvc.Transition(old, *c, metav1.Now())},
	}})
	if err != nil {
		return err
	}
	if err := r.Client.Patch(ctx, kube.Services, svc.Key(), "status", types.StrategicMergePatchType, body, r.FieldOwner); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("patch Service %s/%s Announced condition: %w", svc.Namespace, svc.Name, err)
	}
	return nil
}

// Watch asks for one pass on any change of a Service or a SpeakerStatus.
func (r *Reconciler) Watch(q *kube.Queue, svcs *kube.Informer[*lbsvc.Service], spks *kube.Informer[*ironlbv1.SpeakerStatus]) error {
	pass := func() { q.Add(types.NamespacedName{}) }
	return errors.Join(
		svcs.Handle(kube.OnAny(func(*lbsvc.Service) { pass() })),
		spks.Handle(kube.OnAny(func(*ironlbv1.SpeakerStatus) { pass() })),
	)
}
