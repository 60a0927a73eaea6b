package app

import (
	"encoding/json"
	"net"
	"net/netip"
	"testing"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"

	"github.com/ironlb/ironlb/internal/config"
	"github.com/ironlb/ironlb/speaker/internal/announce"
	"github.com/ironlb/ironlb/speaker/internal/layer2"
	"github.com/ironlb/ironlb/speaker/internal/members"
)

// fakeLive is a member list: who is alive, and what the runner told it.
type fakeLive struct {
	alive      map[string]members.Member
	peers      []netip.AddrPort
	meta       []byte
	distrusted []string
}

func (f *fakeLive) Alive() map[string]members.Member { return f.alive }
func (f *fakeLive) SetPeers(a []netip.AddrPort)      { f.peers = a }
func (f *fakeLive) SetMeta(m []byte) error           { f.meta = m; return nil }
func (f *fakeLive) Distrust(reason string)           { f.distrusted = append(f.distrusted, reason) }

type fakeLinks []layer2.Link

func (f fakeLinks) Links() []layer2.Link { return f }

func node(name, ip string, ready bool, labels map[string]string) corev1.Node {
	n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st}}
	return n
}

func linkJSON(t *testing.T, links, def []string) []byte {
	t.Helper()
	b, err := json.Marshal(linkMeta{Links: links, Default: def})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestL2Input(t *testing.T) {
	in := &inputs{
		cfg: &config.Config{L2Announcements: []*config.L2Announcement{
			{Name: "lan", Pools: []string{"l2"}},
			{Name: "rack1", Pools: []string{"l2"}, Interfaces: []string{"eth1"}},
		}},
		nodes: []corev1.Node{
			node("node1", "198.51.100.11", true, map[string]string{}),
			node("node2", "198.51.100.12", false, map[string]string{}),
			node("node3", "198.51.100.13", true, map[string]string{"node.kubernetes.io/exclude-from-external-load-balancers": ""}),
		},
	}
	links := fakeLinks{
		{Name: "lo", Up: true, Loopback: true, Prefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}},
		{Name: "eth0", Up: true, Kind: "veth", MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, Prefixes: []netip.Prefix{netip.MustParsePrefix("198.51.100.11/24")}},
		{Name: "eth1", Up: true, Kind: "veth", Prefixes: []netip.Prefix{netip.MustParsePrefix("198.18.128.11/24")}},
		{Name: "eth2", Up: false, Kind: "veth"},
	}
	mine := announce.L2Node{Name: "node1", LinksKnown: true, Links: []string{"eth0", "eth1"}, DefaultLinks: []string{"eth0"}}
	anns := []announce.L2Announcement{
		{Name: "lan", Pools: []string{"l2"}, Nodes: []string{"node1", "node2", "node3"}},
		{Name: "rack1", Pools: []string{"l2"}, Nodes: []string{"node1", "node2", "node3"}, Interfaces: []string{"eth1"}},
	}

	t.Run("without a member list, Ready nodes are live", func(t *testing.T) {
		r := &runner{opts: Options{NodeName: "node1"}, links: links}
		got, _ := r.l2Input(in)
		self := mine
		self.Live = true
		want := []announce.L2Node{self, {Name: "node2"}, {Name: "node3", Live: true, Excluded: true}}
		if diff := cmp.Diff(want, got.Nodes); diff != "" {
			t.Errorf("nodes (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(anns, got.Announcements); diff != "" {
			t.Errorf("announcements (-want +got):\n%s", diff)
		}
	})
	t.Run("a member list not yet running makes nobody live", func(t *testing.T) {
		r := &runner{opts: Options{NodeName: "node1"}, links: links, memberlist: true}
		got, _ := r.l2Input(in)
		for _, n := range got.Nodes {
			if n.Live {
				t.Errorf("%s is live before the member list runs", n.Name)
			}
		}
	})
	t.Run("members are live, with the links they published", func(t *testing.T) {
		live := &fakeLive{alive: map[string]members.Member{
			"node1": {},
			"node2": {Meta: linkJSON(t, []string{"eth0", "eth1"}, []string{"eth0"})},
		}}
		r := &runner{opts: Options{NodeName: "node1"}, links: links, memberlist: true, memberPort: 7946}
		r.setLiveness(live, netip.MustParseAddr("198.51.100.11"))
		got, published := r.l2Input(in)
		self := mine
		self.Live = true
		want := []announce.L2Node{
			self,
			{Name: "node2", Live: true, LinksKnown: true, Links: []string{"eth0", "eth1"}, DefaultLinks: []string{"eth0"}},
			// Ready, but not a member: not live.
			{Name: "node3", Excluded: true},
		}
		if diff := cmp.Diff(want, got.Nodes); diff != "" {
			t.Errorf("nodes (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(string(linkJSON(t, []string{"eth0", "eth1"}, []string{"eth0"})), string(published)); diff != "" {
			t.Errorf("published links (-want +got):\n%s", diff)
		}
		want6 := []netip.AddrPort{netip.MustParseAddrPort("198.51.100.12:7946"), netip.MustParseAddrPort("198.51.100.13:7946")}
		if diff := cmp.Diff(want6, memberPeers(in.nodes, "node1", netip.MustParseAddr("198.51.100.11"), 7946), cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
			t.Errorf("peers (-want +got):\n%s", diff)
		}
	})
}

// A link of layer 2 that comes back up withdraws the node until it has
// rejoined; other links (a pod's veth) do not.
func TestWatchLinks(t *testing.T) {
	in := &inputs{
		cfg:   &config.Config{L2Announcements: []*config.L2Announcement{{Name: "lan", Pools: []string{"l2"}}}},
		nodes: []corev1.Node{node("node1", "198.51.100.11", true, nil)},
	}
	eth0 := layer2.Link{Name: "eth0", Up: true, Prefixes: []netip.Prefix{netip.MustParsePrefix("198.51.100.11/24")}}
	veth := layer2.Link{Name: "vethpod", Up: true}
	live := &fakeLive{}
	r := &runner{opts: Options{NodeName: "node1"}}
	r.setLiveness(live, netip.MustParseAddr("198.51.100.11"))
	step := func(links ...layer2.Link) int {
		r.links = fakeLinks(links)
		r.watchLinks(logr.Discard(), in)
		return len(live.distrusted)
	}
	down := eth0
	down.Up = false
	if n := step(eth0); n != 0 {
		t.Fatalf("first look distrusted %d times", n)
	}
	if n := step(eth0, veth); n != 0 {
		t.Fatalf("a new pod veth distrusted the node")
	}
	if n := step(down, veth); n != 0 {
		t.Fatalf("a link going down distrusted the node")
	}
	if n := step(eth0, veth); n != 1 {
		t.Fatalf("eth0 coming back up: %d distrusts, want 1", n)
	}
}

func TestOwnerEvents(t *testing.T) {
	rec := events.NewFakeRecorder(10)
	e := ownerEvents{recorder: rec, node: "node2"}
	ip := netip.MustParseAddr("198.51.100.200")
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "web"}}
	svcs := map[string]*corev1.Service{"a/web": svc}
	pass := func(owner string, reason announce.Reason) []string {
		e.record(announce.L2Plan{IPs: map[netip.Addr]announce.L2Address{ip: {Owner: owner, Interfaces: []string{"eth0"}, Services: []string{"a/web"}, Reason: reason}}}, svcs)
		var got []string
		for len(rec.Events) > 0 {
			got = append(got, <-rec.Events)
		}
		return got
	}
	steps := []struct {
		owner  string
		reason announce.Reason
		want   []string
	}{
		{"node1", "", nil}, // the first pass only remembers
		{"node1", "", nil},
		{"node2", "", []string{"Normal L2Owner node2 answers for 198.51.100.200 on eth0 (was node1)"}},
		{"node2", "", nil},
		{"node3", "", nil}, // node3 tells of it
		{"", announce.ReasonNoEndpoints, nil},
		{"node2", "", []string{"Normal L2Owner node2 answers for 198.51.100.200 on eth0"}},
		{"", announce.ReasonNoEndpoints, []string{"Normal NoL2Owner no node can answer for 198.51.100.200: the Service has no ready endpoint"}},
	}
	for i, s := range steps {
		if diff := cmp.Diff(s.want, pass(s.owner, s.reason)); diff != "" {
			t.Errorf("step %d (owner %q): events (-want +got):\n%s", i, s.owner, diff)
		}
	}
}
