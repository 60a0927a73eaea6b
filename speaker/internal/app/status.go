package app

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/config"
	"github.com/ironlb/ironlb/internal/kube"
	"github.com/ironlb/ironlb/speaker/internal/announce"
	"github.com/ironlb/ironlb/speaker/internal/bgp"
)

// Reasons of the SpeakerStatus Ready condition.
const (
	reasonApplied      = "Applied"
	reasonNodeNotFound = "NodeNotFound"
	reasonNoRouterID   = "NoRouterID"
	reasonApplyFailed  = "ApplyFailed"
)

// statusWrite is the content of a SpeakerStatus the runner writes; two equal
// values need no write.
type statusWrite struct {
	sessions []v1alpha1.BGPSession
	l2       []v1alpha1.L2Owned
	ready    metav1.Condition
	// nodeUID makes the Node the owner of a SpeakerStatus the runner creates.
	nodeUID types.UID
}

// report writes the node's SpeakerStatus when its content changed, at most
// once per StatusInterval; it returns the delay after which a postponed
// write is due.
func (r *runner) report(ctx context.Context, in *inputs, plan announce.Plan, l2plan announce.L2Plan, sessions []bgp.Session, applyErr error) (time.Duration, error) {
	w := &statusWrite{
		sessions: statusSessions(sessions, advertised(in, plan)), l2: l2Status(l2plan),
		ready: readyCondition(in, plan, l2plan, applyErr), nodeUID: in.nodeUID,
	}
	if r.status != nil && cmp.Equal(r.status, w, cmp.AllowUnexported(statusWrite{})) {
		return 0, nil
	}
	if wait := r.opts.StatusInterval - r.clock.Since(r.lastWritten); wait > 0 {
		return wait, nil
	}
	if err := r.write(ctx, w); err != nil {
		return 0, err
	}
	r.status, r.lastWritten = w, r.clock.Now()
	return 0, nil
}

// advertised returns, per peer, the Service addresses the plan sends it,
// in the compact form of the SpeakerStatus.
func advertised(in *inputs, plan announce.Plan) map[string][]string {
	ips := make(map[string][]netip.Addr, len(in.plan.Services))
	for _, s := range in.plan.Services {
		ips[s.Key] = s.IPs
	}
	out := map[string][]string{}
	for peer, ads := range plan.Adverts {
		var all []netip.Addr
		for _, a := range ads {
			for _, key := range a.Services {
				for _, ip := range ips[key] {
					if a.Prefix.Contains(ip) {
						all = append(all, ip)
					}
				}
			}
		}
		for _, r := range config.Cover(all) {
			out[peer] = append(out[peer], r.String())
		}
	}
	return out
}

// statusSessions is the Sessions part of the status; a session lists its
// advertised addresses only while Established, since only then does the
// router have them.
func statusSessions(sessions []bgp.Session, advertised map[string][]string) []v1alpha1.BGPSession {
	var out []v1alpha1.BGPSession
	for _, s := range sessions {
		bs := v1alpha1.BGPSession{
			Peer:         s.Peer,
			Address:      s.Address.String(),
			State:        v1alpha1.BGPSessionState(s.State),
			PrefixesSent: int32(min(s.PrefixesSent, 1<<31-1)),
			LastError:    s.LastError,
		}
		if bs.State == v1alpha1.BGPStateEstablished {
			bs.Advertised = advertised[s.Peer]
		}
		if !s.Since.IsZero() {
			// The API keeps seconds; compare what will be stored.
			t := metav1.NewTime(s.Since.Truncate(time.Second))
			bs.Since = &t
		}
		out = append(out, bs)
	}
	return out
}

func readyCondition(in *inputs, plan announce.Plan, l2plan announce.L2Plan, applyErr error) metav1.Condition {
	c := metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse}
	switch {
	case !in.nodeFound:
		c.Reason = reasonNodeNotFound
		c.Message = fmt.Sprintf("Node %q does not exist; check the speaker's --node-name (or NODE_NAME)", in.plan.Node.Name)
	case plan.Problem != "":
		c.Reason, c.Message = reasonNoRouterID, plan.Problem+"; set spec.routerID on the BGPPeer"
	case applyErr != nil:
		c.Reason, c.Message = reasonApplyFailed, applyErr.Error()
	default:
		n := 0
		for _, ads := range plan.Adverts {
			n += len(ads)
		}
		c.Status, c.Reason = metav1.ConditionTrue, reasonApplied
		c.Message = fmt.Sprintf("%d routes planned for %d peers; answers for %d layer-2 addresses", n, len(plan.Peers), len(l2plan.Owned))
	}
	return c
}

// write creates or updates the SpeakerStatus named after the node.
func (r *runner) write(ctx context.Context, w *statusWrite) error {
	var ss v1alpha1.SpeakerStatus
	key := types.NamespacedName{Name: r.opts.NodeName}
	err := r.client.Get(ctx, kube.SpeakerStatuses, key, &ss)
	if apierrors.IsNotFound(err) {
		ss = v1alpha1.SpeakerStatus{ObjectMeta: metav1.ObjectMeta{Name: r.opts.NodeName}}
		if w.nodeUID != "" {
			// Deleting the Node deletes its status (by the garbage collector).
			ss.OwnerReferences = []metav1.OwnerReference{{
				APIVersion: "v1", Kind: "Node", Name: r.opts.NodeName, UID: w.nodeUID,
			}}
		}
		if err = r.client.Create(ctx, kube.SpeakerStatuses, "", &ss, nil); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create SpeakerStatus %s: %w", key.Name, err)
		}
		err = r.client.Get(ctx, kube.SpeakerStatuses, key, &ss)
	}
	if err != nil {
		return fmt.Errorf("get SpeakerStatus %s: %w", key.Name, err)
	}
	before := ss.DeepCopy()
	ss.Status.Sessions = w.sessions
	ss.Status.L2 = w.l2
	meta.SetStatusCondition(&ss.Status.Conditions, w.ready)
	body, err := kube.MergePatch(before, &ss)
	if err != nil {
		return err
	}
	if err := r.client.Patch(ctx, kube.SpeakerStatuses, key, "status", types.MergePatchType, body, ""); err != nil {
		return fmt.Errorf("update SpeakerStatus %s: %w", key.Name, err)
	}
	return nil
}
