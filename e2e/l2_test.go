//go:build linux

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/e2e/cluster"
	"github.com/ironlb/ironlb/e2e/lab"
)

// l2 asks for an address of the lab's layer-2 pool.
var l2 = map[string]string{"ironlb.io/pool": "l2"}

// waitL2Settled waits until every node's speaker counts itself and all the
// others alive: a speaker restarted by an earlier test takes its addresses
// back once it is, and a test that picked the owner before would see the
// address move under it.
func waitL2Settled(t testing.TB) {
	t.Helper()
	n := c.Lab.Nodes()
	eventually(t, "every speaker live in every speaker's view", func(context.Context) (bool, string) {
		for i := 1; i <= n; i++ {
			node := lab.NodeName(i)
			self := metric(t, node, "ironlb_speaker_l2_self_live")
			live := metric(t, node, "ironlb_speaker_l2_live_nodes")
			if self != 1 || live != float64(n) {
				return false, fmt.Sprintf("%s: self live %v, %v live nodes", node, self, live)
			}
		}
		return true, ""
	})
}

// macs names the nodes' MACs: "node1" for eth0 on the LAN, "node1/eth1"
// for the link on the second segment.
func macs(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i := 1; i <= c.Lab.Nodes(); i++ {
		for _, ifName := range []string{lab.LANInterface, lab.LAN2Interface} {
			m, err := c.Lab.MAC(lab.NodeName(i), ifName)
			if err != nil {
				t.Fatal(err)
			}
			name := lab.NodeName(i)
			if ifName != lab.LANInterface {
				name += "/" + ifName
			}
			out[m.String()] = name
		}
	}
	return out
}

// macOf is the MAC of a name macs gives.
func macOf(t testing.TB, name string) string {
	t.Helper()
	for m, n := range macs(t) {
		if n == name {
			return m
		}
	}
	t.Fatalf("no MAC named %s", name)
	return ""
}

// answerers asks the segment who answers for ip, from a client's eth0: ARP
// for IPv4, neighbor solicitation for IPv6. It returns the names of the
// answering links (see macs), sorted.
func answerers(t testing.TB, ctx context.Context, from string, ip netip.Addr) ([]string, error) {
	var (
		got []net.HardwareAddr
		err error
	)
	if ip.Is4() {
		got, err = c.Lab.ARPing(ctx, from, "eth0", ip, 2)
	} else {
		got, err = c.Lab.NDPing(ctx, from, "eth0", ip)
	}
	if err != nil {
		return nil, err
	}
	byMAC := macs(t)
	var nodes []string
	for _, m := range got {
		n, ok := byMAC[m.String()]
		if !ok {
			n = "unknown " + m.String()
		}
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	return nodes, nil
}

// waitAnswerer waits until exactly one link answers for ip and it is not
// one of not; it returns its name (see macs).
func waitAnswerer(t testing.TB, from string, ip netip.Addr, not ...string) string {
	t.Helper()
	var owner string
	eventually(t, fmt.Sprintf("one node other than %v answering for %s", not, ip), func(ctx context.Context) (bool, string) {
		nodes, err := answerers(t, ctx, from, ip)
		if err != nil {
			return false, err.Error()
		}
		if len(nodes) != 1 || slices.Contains(not, nodes[0]) {
			return false, fmt.Sprintf("answered by %v", nodes)
		}
		owner = nodes[0]
		return true, ""
	})
	return owner
}

// waitNeighbor waits until from's neighbour entry for ip holds the MAC of
// the named link: what the client's kernel will send to.
func waitNeighbor(t testing.TB, from string, ip netip.Addr, name string) {
	t.Helper()
	want := macOf(t, name)
	eventually(t, fmt.Sprintf("%s's neighbour entry for %s at %s", from, ip, name), func(ctx context.Context) (bool, string) {
		mac, state, err := c.Lab.Neighbor(from, "eth0", ip)
		if err != nil {
			return false, err.Error()
		}
		return mac.String() == want, fmt.Sprintf("%s %s, want %s", mac, state, want)
	})
}

// A Service of the l2 pool is answered by exactly one node, which the
// client reaches through kube-proxy; the status says which node.
func TestL2ClientReachesService(t *testing.T) {
	waitL2Settled(t)
	ips := newService(t, cluster.ServiceSpec{Nodes: []int{1, 2, 3}, Annotations: l2})
	ip := ips[0]
	owner := waitAnswerer(t, lab.Client, ip)
	reply(t, lab.Client, ip, "pod=pod")
	waitNeighbor(t, lab.Client, ip, owner)
	waitAnnounced(t, "web", metav1.ConditionTrue, ip.String()+" answered by "+owner+" on eth0")
	// The owner lists the address in its SpeakerStatus; nobody else does.
	eventually(t, "the address in the owner's SpeakerStatus only", func(ctx context.Context) (bool, string) {
		var list v1alpha1.SpeakerStatusList
		if err := c.Env.Client.List(ctx, &list); err != nil {
			return false, err.Error()
		}
		var by []string
		for _, s := range list.Items {
			for _, o := range s.Status.L2 {
				if o.IP == ip.String() {
					by = append(by, fmt.Sprintf("%s%v%v", s.Name, o.Interfaces, o.Services))
				}
			}
		}
		want := fmt.Sprintf("%s[eth0][%s/web]", owner, strings.ToLower(t.Name()))
		return len(by) == 1 && by[0] == want, fmt.Sprintf("listed by %v, want %s", by, want)
	})
	if v := metric(t, owner, "ironlb_speaker_l2_owned_addresses"); v < 1 {
		t.Errorf("%s owns %v addresses by its metrics, want ≥ 1", owner, v)
	}
	if v := metric(t, owner, "ironlb_speaker_l2_arp_requests_answered_total"); v < 1 {
		t.Errorf("%s answered %v ARP requests by its metrics, want ≥ 1", owner, v)
	}
}

// IPv6 works the same over NDP.
func TestL2IPv6Service(t *testing.T) {
	waitL2Settled(t)
	ips := newService(t, cluster.ServiceSpec{
		Nodes: []int{1, 2, 3}, Annotations: l2,
		Policy: corev1.IPFamilyPolicySingleStack, Families: []corev1.IPFamily{corev1.IPv6Protocol},
	})
	ip := ips[0]
	if !ip.Is6() || !lab.LANPrefix(6).Contains(ip) {
		t.Fatalf("address %s, want one of the LAN's IPv6 pool", ip)
	}
	owner := waitAnswerer(t, lab.Client, ip)
	reply(t, lab.Client, ip, "pod=pod")
	waitNeighbor(t, lab.Client, ip, owner)
}

// With externalTrafficPolicy Local the node with the endpoint answers, and
// the answer moves with the endpoint.
func TestL2LocalPolicy(t *testing.T) {
	waitL2Settled(t)
	ips := newService(t, cluster.ServiceSpec{Nodes: []int{2}, Local: true, Annotations: l2})
	ip := ips[0]
	if got := waitAnswerer(t, lab.Client, ip, "node1", "node3"); got != "node2" {
		t.Fatalf("answered by %s", got)
	}
	reply(t, lab.Client, ip, "pod=pod2 node=node2 client="+lab.ClientAddr(4).String())
	if err := c.SetEndpoints(t.Context(), strings.ToLower(t.Name()), "web", 3); err != nil {
		t.Fatal(err)
	}
	waitAnswerer(t, lab.Client, ip, "node1", "node2")
	waitNeighbor(t, lab.Client, ip, "node3")
	reply(t, lab.Client, ip, "pod=pod3 node=node3 client="+lab.ClientAddr(4).String())
}

// Two Services sharing an address have one owner between them.
func TestL2SharedAddress(t *testing.T) {
	waitL2Settled(t)
	ns := strings.ToLower(t.Name())
	a := map[string]string{"ironlb.io/pool": "l2", "ironlb.io/sharing-key": "k"}
	ips := newService(t, cluster.ServiceSpec{Namespace: ns, Name: "web", Nodes: []int{1}, Annotations: a})
	b := map[string]string{"ironlb.io/pool": "l2", "ironlb.io/sharing-key": "k", "ironlb.io/ips": ips[0].String()}
	other := newService(t, cluster.ServiceSpec{Namespace: ns, Name: "web2", Nodes: []int{2}, Annotations: b, Port: 81})
	if other[0] != ips[0] {
		t.Fatalf("second Service got %s, want the shared %s", other[0], ips[0])
	}
	waitAnswerer(t, lab.Client, ips[0])
	// Several rounds, each seeing every reply on the wire.
	for range 3 {
		nodes, err := answerers(t, t.Context(), lab.Client, ips[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(nodes) != 1 {
			t.Fatalf("shared %s answered by %v, want exactly one node", ips[0], nodes)
		}
	}
}

// An L2Announcement that names eth1 answers on the second segment only:
// client2 there gets the owner's eth1 MAC and reaches the Service, and the
// LAN's client gets no answer at all.
func TestL2InterfaceSelection(t *testing.T) {
	waitL2Settled(t)
	ctx := t.Context()
	pool := &v1alpha1.IPPool{
		ObjectMeta: metav1.ObjectMeta{Name: "lan2"},
		Spec:       v1alpha1.IPPoolSpec{AutoAssign: ptr.To(false), Addresses: []v1alpha1.AddressRange{lab.LAN2Pool, lab.LAN2Pool6}},
	}
	ann := &v1alpha1.L2Announcement{
		ObjectMeta: metav1.ObjectMeta{Name: "lan2"},
		Spec:       v1alpha1.L2AnnouncementSpec{IPPools: []v1alpha1.ObjectName{"lan2"}, Interfaces: []v1alpha1.InterfaceName{"eth1"}},
	}
	for _, o := range []client.Object{pool, ann} {
		if err := c.Env.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Env.Client.Delete(context.Background(), o) })
	}
	ips := newService(t, cluster.ServiceSpec{Nodes: []int{1, 2, 3}, Annotations: map[string]string{"ironlb.io/pool": "lan2"}})
	ip := ips[0]
	owner := waitAnswerer(t, lab.Client2, ip)
	if !strings.HasSuffix(owner, "/eth1") {
		t.Fatalf("%s answered by %s, want a node's eth1", ip, owner)
	}
	reply(t, lab.Client2, ip, "pod=pod")
	waitNeighbor(t, lab.Client2, ip, owner)
	waitAnnounced(t, "web", metav1.ConditionTrue, ip.String()+" answered by "+strings.TrimSuffix(owner, "/eth1")+" on eth1")
	nodes, err := answerers(t, ctx, lab.Client, ip)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 0 {
		t.Errorf("on the LAN, %s is answered by %v; want nobody (the announcement names eth1)", ip, nodes)
	}
}
