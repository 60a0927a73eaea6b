//go:build linux

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/e2e/cluster"
	"github.com/ironlb/ironlb/e2e/lab"
)

// A Service with backends on every node is advertised by every node (ECMP
// at both routers), and a client outside the LAN reaches a backend through
// the router and kube-proxy.
func TestBGPOutsideClientReachesService(t *testing.T) {
	ips := newService(t, cluster.ServiceSpec{Nodes: []int{1, 2, 3}})
	waitRouteEverywhere(t, host(ips[0]), nodes(4, 1, 2, 3))
	reply(t, "ext", ips[0], "pod=pod")
	// The controller sums up the speakers' statuses on the Service.
	waitAnnounced(t, "web", metav1.ConditionTrue, ips[0].String()+" advertised by node1, node2, node3 to router, router2")
	// The speaker's metrics count what the routers were sent.
	for _, peer := range []string{"router", "router2"} {
		if v := metric(t, "node1", `ironlb_speaker_bgp_updates_sent{peer="`+peer+`"}`); v < 1 {
			t.Errorf("updates sent to %s = %v, want ≥ 1", peer, v)
		}
		if v := metric(t, "node1", `ironlb_speaker_bgp_prefixes_advertised{peer="`+peer+`"}`); v < 1 {
			t.Errorf("prefixes advertised to %s = %v, want ≥ 1", peer, v)
		}
		if v := metric(t, "node1", `ironlb_speaker_bgp_session_up{peer="`+peer+`"}`); v != 1 {
			t.Errorf("session up to %s = %v, want 1", peer, v)
		}
	}
	// Every node reports its sessions in its SpeakerStatus.
	for i := 1; i <= c.Lab.Nodes(); i++ {
		node := lab.NodeName(i)
		eventually(t, node+" SpeakerStatus", func(ctx context.Context) (bool, string) {
			var ss v1alpha1.SpeakerStatus
			if err := c.Env.Client.Get(ctx, client.ObjectKey{Name: node}, &ss); err != nil {
				return false, err.Error()
			}
			up := 0
			for _, s := range ss.Status.Sessions {
				if s.State == v1alpha1.BGPStateEstablished && s.PrefixesSent > 0 && s.Since != nil {
					up++
				}
			}
			ready := meta.IsStatusConditionTrue(ss.Status.Conditions, v1alpha1.ConditionReady)
			return up == 2 && ready, fmt.Sprintf("sessions %+v, conditions %+v", ss.Status.Sessions, ss.Status.Conditions)
		})
	}
}

// externalTrafficPolicy: Local is advertised only by the nodes with a local
// endpoint, and moves with it; the backend sees the client's own address.
func TestBGPLocalPolicyFollowsEndpoints(t *testing.T) {
	ips := newService(t, cluster.ServiceSpec{Nodes: []int{2}, Local: true})
	p := host(ips[0])
	waitRouteEverywhere(t, p, nodes(4, 2))
	reply(t, "ext", ips[0], "pod=pod2 node=node2 client="+lab.ExtAddr(4).String())

	ns := strings.ToLower(t.Name())
	if err := c.SetEndpoints(t.Context(), ns, "web", 3); err != nil {
		t.Fatal(err)
	}
	waitRouteEverywhere(t, p, nodes(4, 3))
	reply(t, "ext", ips[0], "pod=pod3 node=node3 client="+lab.ExtAddr(4).String())
}

// With no endpoints the route is withdrawn everywhere; it comes back with
// the first endpoint.
func TestBGPNoEndpointsWithdraws(t *testing.T) {
	ips := newService(t, cluster.ServiceSpec{Nodes: []int{1}})
	p := host(ips[0])
	waitRouteEverywhere(t, p, nodes(4, 1, 2, 3))
	ns := strings.ToLower(t.Name())
	if err := c.SetEndpoints(t.Context(), ns, "web"); err != nil {
		t.Fatal(err)
	}
	waitRouteEverywhere(t, p, nil)
	waitAnnounced(t, "web", metav1.ConditionFalse, "no node announces "+ips[0].String())
	// Each node said why it stopped, in an Event on the Service.
	eventually(t, "a Withdrawn Event from every node", func(ctx context.Context) (bool, string) {
		var list eventsv1.EventList
		if err := c.Env.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return false, err.Error()
		}
		from := map[string]bool{}
		var notes []string
		for _, e := range list.Items {
			if e.Reason == "Withdrawn" && e.Regarding.Name == "web" && strings.Contains(e.Note, "no ready endpoint") {
				from[strings.Fields(e.Note)[0]] = true
			}
			notes = append(notes, e.Reason+": "+e.Note)
		}
		return len(from) == c.Lab.Nodes(), fmt.Sprintf("events %q", notes)
	})
	if err := c.SetEndpoints(t.Context(), ns, "web", 2); err != nil {
		t.Fatal(err)
	}
	waitRouteEverywhere(t, p, nodes(4, 1, 2, 3))
}

// A node labelled exclude-from-external-load-balancers stops advertising,
// and starts again when the label goes.
func TestBGPExcludedNode(t *testing.T) {
	ips := newService(t, cluster.ServiceSpec{Nodes: []int{1, 2, 3}})
	p := host(ips[0])
	waitRouteEverywhere(t, p, nodes(4, 1, 2, 3))

	label := func(ctx context.Context, set bool) {
		t.Helper()
		var n corev1.Node
		if err := c.Env.Client.Get(ctx, client.ObjectKey{Name: "node3"}, &n); err != nil {
			t.Fatal(err)
		}
		if set {
			n.Labels[v1alpha1.LabelExcludeFromExternalLB] = ""
		} else {
			delete(n.Labels, v1alpha1.LabelExcludeFromExternalLB)
		}
		if err := c.Env.Client.Update(ctx, &n); err != nil {
			t.Fatal(err)
		}
	}
	label(t.Context(), true)
	// Cleanups run after t.Context() is canceled.
	t.Cleanup(func() { label(context.Background(), false) })
	waitRouteEverywhere(t, p, nodes(4, 1, 2))
	label(t.Context(), false)
	waitRouteEverywhere(t, p, nodes(4, 1, 2, 3))
}

// An IPv6 Service is advertised over the IPv4 sessions (MP-BGP) with each
// node's IPv6 address as next hop.
func TestBGPIPv6Service(t *testing.T) {
	ips := newService(t, cluster.ServiceSpec{
		Nodes:  []int{1, 2, 3},
		Policy: corev1.IPFamilyPolicySingleStack, Families: []corev1.IPFamily{corev1.IPv6Protocol},
	})
	if !ips[0].Is6() {
		t.Fatalf("address %s, want IPv6", ips[0])
	}
	waitRouteEverywhere(t, host(ips[0]), nodes(6, 1, 2, 3))
}
