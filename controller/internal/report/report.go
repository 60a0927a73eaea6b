// Package report keeps the status of the announcement configuration
// current: the Ready condition of every BGPPeer, BGPAnnouncement and
// L2Announcement (with the parser's problems as the message, naming what to
// fix), and each BGPPeer's count of selected nodes and of nodes whose
// speaker has the session Established (from the SpeakerStatus objects).
//
// The objects are few, so one pass reads them all and writes only what
// changed; every watched event just asks for another pass.
package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/config"
	"github.com/ironlb/ironlb/internal/eventsink"
	"github.com/ironlb/ironlb/internal/kube"
)

// Reconciler writes the status of the announcement objects.
type Reconciler struct {
	Client   Patcher
	Recorder eventsink.EventRecorder
	// Namespace holds the Secrets peers' passwords refer to (the
	// controller's and speakers' namespace).
	Namespace string

	// The caches read; Secrets holds those of Namespace.
	Pools    *kube.Informer[*ironlbv1.IPPool]
	L2s      *kube.Informer[*ironlbv1.L2Announcement]
	Peers    *kube.Informer[*ironlbv1.BGPPeer]
	Anns     *kube.Informer[*ironlbv1.BGPAnnouncement]
	Secrets  *kube.Informer[*corev1.Secret]
	Nodes    *kube.Informer[*corev1.Node]
	Speakers *kube.Informer[*ironlbv1.SpeakerStatus]
}

// Patcher patches objects; a *kube.Client is one.
type Patcher interface {
	Patch(ctx context.Context, r kube.Resource, key types.NamespacedName, subresource string, pt types.PatchType, body []byte, fieldManager string) error
}

// +kubebuilder:rbac:groups=ironlb.io,resources=bgppeers;bgpannouncements;l2announcements;speakerstatuses,verbs=get;list;watch
// +kubebuilder:rbac:groups=ironlb.io,resources=bgppeers/status;bgpannouncements/status;l2announcements/status,verbs=get;patch;update
// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch
// +kubebuilder:rbac:groups="",namespace=ironlb-system,resources=secrets,verbs=get;list;watch

// Reconcile recomputes and writes every announcement object's status.
func (r *Reconciler) Reconcile(ctx context.Context, _ types.NamespacedName) (time.Duration, error) {
	// Shallow copies of the cache's objects, read only; those written are
	// deep-copied first.
	peers, anns, l2s := kube.Values(r.Peers.List()), kube.Values(r.Anns.List()), kube.Values(r.L2s.List())
	nodes, spks := kube.Values(r.Nodes.List()), kube.Values(r.Speakers.List())
	cfg, problems := config.Parse(config.Input{
		Pools: kube.Values(r.Pools.List()), L2Announcements: l2s, Peers: peers, BGPAnnouncements: anns,
		Secrets: kube.Values(r.Secrets.InNamespace(r.Namespace)), SecretNamespace: r.Namespace,
	})

	var errs []error
	for i := range peers {
		before := &peers[i]
		p := before.DeepCopy()
		p.Status = peerStatus(p, cfg, problems, nodes, spks)
		errs = append(errs, r.update(ctx, kube.BGPPeers, p, before, before.Status.Conditions, p.Status.Conditions))
	}
	for i := range anns {
		before := &anns[i]
		a := before.DeepCopy()
		used := slices.ContainsFunc(cfg.BGPAnnouncements, func(m *config.BGPAnnouncement) bool { return m.Name == a.Name })
		a.Status.Conditions = merge(a.Status.Conditions,
			readiness(a.Generation, used, problems.For(config.KindBGPAnnouncement, a.Name), "the announcement is in use"))
		errs = append(errs, r.update(ctx, kube.BGPAnnouncements, a, before, before.Status.Conditions, a.Status.Conditions))
	}
	for i := range l2s {
		before := &l2s[i]
		a := before.DeepCopy()
		used := slices.ContainsFunc(cfg.L2Announcements, func(m *config.L2Announcement) bool { return m.Name == a.Name })
		a.Status.Conditions = merge(a.Status.Conditions,
			readiness(a.Generation, used, problems.For(config.KindL2Announcement, a.Name), "the announcement is in use"))
		errs = append(errs, r.update(ctx, kube.L2Announcements, a, before, before.Status.Conditions, a.Status.Conditions))
	}
	return 0, errors.Join(errs...)
}

// peerStatus is a BGPPeer's desired status.
func peerStatus(p *ironlbv1.BGPPeer, cfg *config.Config, problems config.Problems, nodes []corev1.Node, spks []ironlbv1.SpeakerStatus) ironlbv1.BGPPeerStatus {
	var st ironlbv1.BGPPeerStatus
	valid, ok := cfg.Peers[p.Name]
	if ok {
		selected := map[string]bool{}
		for i := range nodes {
			if valid.SelectsNode(nodes[i].Labels) {
				selected[nodes[i].Name] = true
			}
		}
		st.SelectedNodes = int32(len(selected))
		for i := range spks {
			if !selected[spks[i].Name] {
				continue
			}
			for _, s := range spks[i].Status.Sessions {
				if s.Peer == p.Name && s.State == ironlbv1.BGPStateEstablished {
					st.EstablishedNodes++
				}
			}
		}
	}
	msg := fmt.Sprintf("established on %d of %d selected nodes", st.EstablishedNodes, st.SelectedNodes)
	st.Conditions = merge(p.Status.Conditions, readiness(p.Generation, ok, problems.For(config.KindBGPPeer, p.Name), msg))
	return st
}

// readiness is the Ready condition of a configuration object.
func readiness(gen int64, valid bool, problems []config.Problem, okMsg string) []metav1.Condition {
	c := metav1.Condition{Type: ironlbv1.ConditionReady, ObservedGeneration: gen}
	msgs := make([]string, 0, len(problems))
	for _, p := range problems {
		msgs = append(msgs, p.Error())
	}
	switch {
	case valid && len(problems) == 0:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, ironlbv1.ReasonValid, okMsg
	case valid:
		// Usable, but part of it is ignored (a missing pool in a list).
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, problems[0].Reason, okMsg+"; but "+strings.Join(msgs, "; ")
	default:
		c.Status, c.Reason = metav1.ConditionFalse, ironlbv1.ReasonInvalid
		if len(problems) > 0 {
			c.Reason = problems[0].Reason
		}
		c.Message = "not used: " + strings.Join(msgs, "; ")
	}
	return []metav1.Condition{c}
}

// merge sets the conditions, keeping the transition time of those whose
// status did not change.
func merge(old, conds []metav1.Condition) []metav1.Condition {
	out := make([]metav1.Condition, 0, len(conds))
	for _, c := range conds {
		c.LastTransitionTime = metav1.Now()
		if o := meta.FindStatusCondition(old, c.Type); o != nil && o.Status == c.Status {
			c.LastTransitionTime = o.LastTransitionTime
		}
		out = append(out, c)
	}
	return out
}

// update patches obj's status from before when it changed, and records an
// Event when the Ready condition's status or reason changed.
func (r *Reconciler) update(ctx context.Context, res kube.Resource, obj, before kube.Object, was, now []metav1.Condition) error {
	if equality.Semantic.DeepEqual(before, obj) {
		return nil
	}
	body, err := kube.MergePatch(before, obj)
	if err != nil {
		return err
	}
	if err := r.Client.Patch(ctx, res, kube.KeyOf(obj), "status", types.MergePatchType, body, ""); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("patch %T %q status: %w", obj, obj.GetName(), err)
	}
	oldReady := meta.FindStatusCondition(was, ironlbv1.ConditionReady)
	newReady := meta.FindStatusCondition(now, ironlbv1.ConditionReady)
	if newReady != nil && (oldReady == nil || oldReady.Status != newReady.Status || oldReady.Reason != newReady.Reason) {
		kind := corev1.EventTypeNormal
		if newReady.Status != metav1.ConditionTrue || newReady.Reason != ironlbv1.ReasonValid {
			kind = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(obj, nil, kind, newReady.Reason, "Validate", "%s", newReady.Message)
	}
	return nil
}

// Watch asks for one pass on every change of a watched kind.
func (r *Reconciler) Watch(q *kube.Queue) error {
	pass := func() { q.Add(types.NamespacedName{}) }
	return errors.Join(
		r.Peers.Handle(kube.OnAny(func(*ironlbv1.BGPPeer) { pass() })),
		r.Anns.Handle(kube.OnAny(func(*ironlbv1.BGPAnnouncement) { pass() })),
		r.L2s.Handle(kube.OnAny(func(*ironlbv1.L2Announcement) { pass() })),
		r.Pools.Handle(kube.OnAny(func(*ironlbv1.IPPool) { pass() })),
		r.Speakers.Handle(kube.OnAny(func(*ironlbv1.SpeakerStatus) { pass() })),
		r.Nodes.Handle(kube.OnAny(func(*corev1.Node) { pass() })),
		r.Secrets.Handle(kube.OnAny(func(*corev1.Secret) { pass() })),
	)
}
