package announced

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/controller/internal/lbsvc"
)

func speaker(node string, sessions []ironlbv1.BGPSession, l2 ...ironlbv1.L2Owned) ironlbv1.SpeakerStatus {
	return ironlbv1.SpeakerStatus{
		ObjectMeta: metav1.ObjectMeta{Name: node},
		Status:     ironlbv1.SpeakerStatusStatus{Sessions: sessions, L2: l2},
	}
}

func up(peer string, advertised ...string) ironlbv1.BGPSession {
	return ironlbv1.BGPSession{Peer: peer, State: ironlbv1.BGPStateEstablished, Advertised: advertised}
}

func service(ips ...string) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "web", Generation: 2}}
	for _, ip := range ips {
		s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
	}
	return s
}

func TestCondition(t *testing.T) {
	lab := []ironlbv1.SpeakerStatus{
		speaker("node2", []ironlbv1.BGPSession{up("router2", "203.0.113.0-203.0.113.9"), up("router", "203.0.113.0/29")}),
		speaker("node1", []ironlbv1.BGPSession{up("router", "203.0.113.7", "2001:db8:200::7")}),
		speaker("node3", []ironlbv1.BGPSession{
			// Not Established: whatever it lists, the router has nothing.
			{Peer: "router", State: ironlbv1.BGPStateActive, Advertised: []string{"203.0.113.7"}},
			up("router", "not an address"),
		}, ironlbv1.L2Owned{IP: "198.51.100.200", Interfaces: []string{"eth1", "eth0"}}),
	}
	tests := []struct {
		name string
		svc  *corev1.Service
		want *metav1.Condition
	}{{
		name: "advertised by two nodes to two peers",
		svc:  service("203.0.113.7"),
		want: &metav1.Condition{Status: metav1.ConditionTrue, Reason: ReasonAnnounced,
			Message: "203.0.113.7 advertised by node1, node2 to router, router2"},
	}, {
		name: "dual-stack, one family by fewer nodes",
		svc:  service("203.0.113.7", "2001:db8:200::7"),
		want: &metav1.Condition{Status: metav1.ConditionTrue, Reason: ReasonAnnounced,
			Message: "203.0.113.7 advertised by node1, node2 to router, router2; 2001:db8:200::7 advertised by node1 to router"},
	}, {
		name: "layer 2 owner and its interfaces",
		svc:  service("198.51.100.200"),
		want: &metav1.Condition{Status: metav1.ConditionTrue, Reason: ReasonAnnounced,
			Message: "198.51.100.200 answered by node3 on eth0, eth1"},
	}, {
		name: "one address not announced",
		svc:  service("203.0.113.9", "203.0.113.10"),
		want: &metav1.Condition{Status: metav1.ConditionFalse, Reason: ReasonPartlyAnnounced,
			Message: "203.0.113.9 advertised by node2 to router2; but no node announces 203.0.113.10; the speakers' Events on the Service say why (kubectl describe service -n demo web)"},
	}, {
		name: "nothing announced",
		svc:  service("203.0.113.200"),
		want: &metav1.Condition{Status: metav1.ConditionFalse, Reason: ReasonNotAnnounced,
			Message: "no node announces 203.0.113.200; the speakers' Events on the Service say why (kubectl describe service -n demo web)"},
	}, {
		name: "no address and no condition yet: nothing to write",
		svc:  service(),
	}, {
		name: "address gone after a condition was written",
		svc: func() *corev1.Service {
			s := service()
			s.Status.Conditions = []metav1.Condition{{Type: ironlbv1.ServiceConditionAnnounced, Status: metav1.ConditionTrue}}
			return s
		}(),
		want: &metav1.Condition{Status: metav1.ConditionFalse, Reason: ReasonNoAddress,
			Message: "the Service has no address to announce; see the ironlb.io/Allocated condition"},
	}}
	idx := newIndex(lab)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want != nil {
				tt.want.Type, tt.want.ObservedGeneration = ironlbv1.ServiceConditionAnnounced, 2
			}
			if diff := cmp.Diff(tt.want, condition(lbsvc.From(tt.svc), idx)); diff != "" {
				t.Errorf("condition (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTooSoon(t *testing.T) {
	now := time.Date(2026, 11, 26, 5, 0, 10, 0, time.UTC)
	const grace = 5 * time.Second
	allocatedAt := func(ago time.Duration, status metav1.ConditionStatus) metav1.Condition {
		return metav1.Condition{Type: ironlbv1.ServiceConditionAllocated, Status: status,
			LastTransitionTime: metav1.NewTime(now.Add(-ago))}
	}
	with := func(conds ...metav1.Condition) *corev1.Service {
		s := service("203.0.113.9")
		s.Status.Conditions = conds
		return s
	}
	not := &metav1.Condition{Status: metav1.ConditionFalse, Reason: ReasonNotAnnounced}
	tests := []struct {
		name string
		svc  *corev1.Service
		c    *metav1.Condition
		want time.Duration
	}{
		{"allocated 1 s ago, nobody announces yet: wait 4 s", with(allocatedAt(time.Second, metav1.ConditionTrue)), not, 4 * time.Second},
		{"partly announced 2 s after allocation: wait 3 s", with(allocatedAt(2*time.Second, metav1.ConditionTrue)),
			&metav1.Condition{Status: metav1.ConditionFalse, Reason: ReasonPartlyAnnounced}, 3 * time.Second},
		{"grace over", with(allocatedAt(6*time.Second, metav1.ConditionTrue)), not, 0},
		{"announced: written at once", with(allocatedAt(time.Second, metav1.ConditionTrue)),
			&metav1.Condition{Status: metav1.ConditionTrue, Reason: ReasonAnnounced}, 0},
		{"had an Announced condition: a loss is said at once", with(allocatedAt(time.Second, metav1.ConditionTrue),
			metav1.Condition{Type: ironlbv1.ServiceConditionAnnounced, Status: metav1.ConditionTrue}), not, 0},
		{"no Allocated condition (an address from before ironlb)", with(), not, 0},
		{"Allocated False (an orphaned address kept)", with(allocatedAt(time.Second, metav1.ConditionFalse)), not, 0},
		{"nothing to write", with(allocatedAt(time.Second, metav1.ConditionTrue)), nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tooSoon(lbsvc.From(tt.svc), tt.c, now, grace); got != tt.want {
				t.Errorf("tooSoon = %v, want %v", got, tt.want)
			}
		})
	}
}
