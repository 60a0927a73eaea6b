package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
)

// BGPPeer status counts the nodes its selector matches and those whose
// speaker reports the session Established; a broken reference makes the
// object not Ready with a message naming the fix, and an Event.
func TestReportPeersAndAnnouncements(t *testing.T) {
	for i, rack := range []string{"a", "a", "b"} {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("report-node%d", i), Labels: map[string]string{"rack": rack}}}
		create(t, n)
	}
	create(t, ipPool("report", "198.51.100.64/28"))
	create(t, &ironlbv1.BGPPeer{
		ObjectMeta: metav1.ObjectMeta{Name: "report-tor"},
		Spec: ironlbv1.BGPPeerSpec{
			Address: "198.51.100.1", ASN: 64500, LocalASN: 64512,
			NodeSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"rack": "a"}},
		},
	})
	create(t, &ironlbv1.BGPPeer{
		ObjectMeta: metav1.ObjectMeta{Name: "report-locked"},
		Spec: ironlbv1.BGPPeerSpec{
			Address: "198.51.100.2", ASN: 64500, LocalASN: 64512,
			PasswordSecretRef: &ironlbv1.SecretKeyRef{Name: "no-such-secret"},
		},
	})
	create(t, &ironlbv1.BGPAnnouncement{
		ObjectMeta: metav1.ObjectMeta{Name: "report-ann"},
		Spec:       ironlbv1.BGPAnnouncementSpec{IPPools: []ironlbv1.ObjectName{"report", "no-such-pool"}},
	})
	// node0 has the session up, node1 does not; node2 is not selected.
	for i, state := range []ironlbv1.BGPSessionState{ironlbv1.BGPStateEstablished, ironlbv1.BGPStateActive, ironlbv1.BGPStateEstablished} {
		ss := &ironlbv1.SpeakerStatus{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("report-node%d", i)}}
		create(t, ss)
		ss.Status.Sessions = []ironlbv1.BGPSession{{Peer: "report-tor", Address: "198.51.100.1", State: state}}
		if err := env.Client.Status().Update(t.Context(), ss); err != nil {
			t.Fatal(err)
		}
	}
	startController(t, testOptions())

	eventually(t, 30*time.Second, func(ctx context.Context) error {
		var p ironlbv1.BGPPeer
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "report-tor"}, &p); err != nil {
			return err
		}
		c := meta.FindStatusCondition(p.Status.Conditions, ironlbv1.ConditionReady)
		if p.Status.SelectedNodes != 2 || p.Status.EstablishedNodes != 1 || c == nil || c.Status != metav1.ConditionTrue ||
			c.Message != "established on 1 of 2 selected nodes" {
			return fmt.Errorf("status %+v, want 1 of 2 nodes and Ready", p.Status)
		}
		return nil
	})
	eventually(t, 30*time.Second, func(ctx context.Context) error {
		var p ironlbv1.BGPPeer
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "report-locked"}, &p); err != nil {
			return err
		}
		c := meta.FindStatusCondition(p.Status.Conditions, ironlbv1.ConditionReady)
		if c == nil || c.Status != metav1.ConditionFalse || c.Reason != ironlbv1.ReasonMissingReference || !contains(c.Message, "no-such-secret") {
			return fmt.Errorf("Ready %+v, want False/MissingReference naming the Secret", c)
		}
		return nil
	})
	eventually(t, 30*time.Second, func(ctx context.Context) error {
		var a ironlbv1.BGPAnnouncement
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "report-ann"}, &a); err != nil {
			return err
		}
		c := meta.FindStatusCondition(a.Status.Conditions, ironlbv1.ConditionReady)
		// Usable (pool "report" exists) but one name is ignored: say so.
		if c == nil || c.Status != metav1.ConditionTrue || c.Reason != ironlbv1.ReasonMissingReference || !contains(c.Message, "no-such-pool") {
			return fmt.Errorf("Ready %+v, want True/MissingReference naming the pool", c)
		}
		return nil
	})
	// The broken peer got one Warning Event naming the Secret.
	eventually(t, 30*time.Second, func(ctx context.Context) error {
		return oneEvent(ctx, "report-locked", "no-such-secret")
	})

	// The session on node1 comes up: the count follows.
	var ss ironlbv1.SpeakerStatus
	if err := env.Client.Get(t.Context(), client.ObjectKey{Name: "report-node1"}, &ss); err != nil {
		t.Fatal(err)
	}
	ss.Status.Sessions[0].State = ironlbv1.BGPStateEstablished
	if err := env.Client.Status().Update(t.Context(), &ss); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, func(ctx context.Context) error {
		var p ironlbv1.BGPPeer
		if err := env.Client.Get(ctx, client.ObjectKey{Name: "report-tor"}, &p); err != nil {
			return err
		}
		if p.Status.EstablishedNodes != 2 {
			return fmt.Errorf("established on %d nodes, want 2", p.Status.EstablishedNodes)
		}
		return nil
	})
}

// oneEvent checks that exactly one Warning Event about the BGPPeer exists
// and that it names want. Events about an earlier object of the same name
// (an earlier run of the test) do not count.
func oneEvent(ctx context.Context, peer, want string) error {
	var p ironlbv1.BGPPeer
	if err := env.Client.Get(ctx, client.ObjectKey{Name: peer}, &p); err != nil {
		return err
	}
	var list eventsv1.EventList
	if err := env.Client.List(ctx, &list); err != nil {
		return err
	}
	var got []string
	for _, e := range list.Items {
		if e.Regarding.Kind == "BGPPeer" && e.Regarding.Name == peer && e.Regarding.UID == p.UID {
			got = append(got, e.Type+": "+e.Note)
		}
	}
	if len(got) != 1 || !contains(got[0], want) || !strings.HasPrefix(got[0], corev1.EventTypeWarning) {
		return fmt.Errorf("events about BGPPeer %s: %q, want one Warning naming %q", peer, got, want)
	}
	return nil
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
