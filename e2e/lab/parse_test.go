//go:build linux

package lab

import (
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The testdata files are real output of FRR 8.4 and BIRD 2.0.12 in a lab
// where node1 and node2 announce 203.0.113.10/32 (with communities) and
// 2001:db8:200::10/128.

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func a(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestParseFRRPaths(t *testing.T) {
	got4, err := parseFRRPaths(read(t, "frr-ipv4-detail.json"))
	if err != nil {
		t.Fatal(err)
	}
	comm := []string{"65000:100"}
	large := []string{"64512:1:2"}
	want4 := map[netip.Prefix][]Path{vip4: {
		{NextHop: a("198.51.100.12"), Peer: a("198.51.100.12"), Multipath: true, ASPath: []uint32{64512}, Communities: comm, LargeCommunities: large},
		{NextHop: a("198.51.100.11"), Peer: a("198.51.100.11"), Best: true, Multipath: true, ASPath: []uint32{64512}, Communities: comm, LargeCommunities: large},
	}}
	if diff := cmp.Diff(want4, got4, netipCmp); diff != "" {
		t.Errorf("IPv4 (-want +got):\n%s", diff)
	}
	got6, err := parseFRRPaths(read(t, "frr-ipv6-detail.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The global next hop names the node, not the link-local one FRR uses.
	want6 := map[netip.Prefix][]netip.Addr{vip6: {a("2001:db8:100::11"), a("2001:db8:100::12")}}
	if diff := cmp.Diff(want6, nextHops(got6, func(p Path) bool { return p.Best || p.Multipath }), netipCmp); diff != "" {
		t.Errorf("IPv6 next hops (-want +got):\n%s", diff)
	}
	if _, err := parseFRRPaths([]byte(`{"routes": {"nonsense": []}}`)); err == nil {
		t.Error("a bad prefix parsed")
	}
}

func TestParseFRRNeighbors(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	got, err := parseFRRNeighbors(read(t, "frr-neighbors.json"), now)
	if err != nil {
		t.Fatal(err)
	}
	want := map[netip.Addr]Neighbor{}
	for _, n := range []string{"198.51.100.11", "198.51.100.12"} {
		want[a(n)] = Neighbor{
			Addr: a(n), State: "Established", RemoteAS: 64512, Since: now.Add(-time.Second),
			Prefixes: map[int]int{4: 1, 6: 1}, HoldTime: 180 * time.Second, KeepaliveTime: 60 * time.Second,
			Established: 1, LastReset: "No AFI/SAFI activated for peer",
		}
	}
	if diff := cmp.Diff(want, got, netipCmp); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseBIRDRoutes(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []birdRoute
	}{
		{"bird-master4.txt", []birdRoute{
			{prefix: vip4, vias: []netip.Addr{a("198.51.100.11")}, path: Path{NextHop: a("198.51.100.11"), Peer: a("198.51.100.11"), Best: true, LocalPref: 100, Communities: []string{"65000:100"}, LargeCommunities: []string{"64512:1:2"}}},
			{prefix: vip4, vias: []netip.Addr{a("198.51.100.12")}, path: Path{NextHop: a("198.51.100.12"), Peer: a("198.51.100.12"), LocalPref: 100, Communities: []string{"65000:100"}, LargeCommunities: []string{"64512:1:2"}}},
		}},
		{"bird-master6.txt", []birdRoute{
			{prefix: vip6, vias: []netip.Addr{a("2001:db8:100::11")}, path: Path{NextHop: a("2001:db8:100::11"), Peer: a("198.51.100.11"), Best: true, LocalPref: 100}},
			{prefix: vip6, vias: []netip.Addr{a("2001:db8:100::12")}, path: Path{NextHop: a("2001:db8:100::12"), Peer: a("198.51.100.12"), LocalPref: 100}},
		}},
		// The route BIRD gives its kernel: the ECMP merge of both.
		{"bird-kernel6.txt", []birdRoute{
			{prefix: vip6, vias: []netip.Addr{a("2001:db8:100::11"), a("2001:db8:100::12")}, path: Path{NextHop: a("2001:db8:100::11"), Peer: a("198.51.100.11"), Best: true, LocalPref: 100}},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := parseBIRDRoutes(read(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, netipCmp, cmp.AllowUnexported(birdRoute{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := parseBIRDRoutes([]byte("                     unicast [x 2026-01-01 00:00:00.000] (100)\n")); err == nil {
		t.Error("a route without a prefix parsed")
	}
}

func TestParseBIRDProtocols(t *testing.T) {
	got, err := parseBIRDProtocols(read(t, "bird-protocols.txt"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	want := map[netip.Addr]Neighbor{}
	for i, n := range []string{"198.51.100.11", "198.51.100.12"} {
		want[a(n)] = Neighbor{
			Addr: a(n), Name: "peer4_" + string(rune('1'+i)), State: "Established", RemoteAS: 64512,
			Prefixes: map[int]int{4: 1, 6: 1}, HoldTime: 240 * time.Second, KeepaliveTime: 80 * time.Second,
		}
	}
	if diff := cmp.Diff(want, got, netipCmp, cmpopts.IgnoreFields(Neighbor{}, "Since")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for addr, n := range got {
		if n.Since.Year() != 2026 || !strings.HasPrefix(n.Since.Format(time.DateOnly), "2026-") {
			t.Errorf("%s: since %v", addr, n.Since)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	ok := Options{Prefix: "ilb-", Dir: "/tmp/x"}
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string // substring of the error; "" for none
	}{
		{"minimal", func(*Options) {}, ""},
		{"full", func(o *Options) {
			o.Nodes, o.APIServer = 9, netip.MustParseAddrPort("127.0.0.1:6443")
			o.BGP = BGPOptions{KeepaliveTime: time.Second, HoldTime: 3 * time.Second, Password: "s3cret"}
		}, ""},
		{"no prefix", func(o *Options) { o.Prefix = "" }, "prefix"},
		{"prefix without dash", func(o *Options) { o.Prefix = "ilb" }, "prefix"},
		{"prefix too long", func(o *Options) { o.Prefix = "abcdefghijklmnop-" }, "prefix"},
		{"upper-case prefix", func(o *Options) { o.Prefix = "ILB-" }, "prefix"},
		{"no dir", func(o *Options) { o.Dir = "" }, "dir"},
		{"too many nodes", func(o *Options) { o.Nodes = 10 }, "nodes"},
		{"apiserver not on loopback", func(o *Options) { o.APIServer = netip.MustParseAddrPort("198.51.100.5:6443") }, "apiserver"},
		{"hold without keepalive", func(o *Options) { o.BGP.HoldTime = 9 * time.Second }, "both"},
		{"hold too short", func(o *Options) { o.BGP.KeepaliveTime, o.BGP.HoldTime = time.Second, 2*time.Second }, "hold time"},
		{"fractional timers", func(o *Options) { o.BGP.KeepaliveTime, o.BGP.HoldTime = 1500*time.Millisecond, 6*time.Second }, "whole seconds"},
		{"password with a quote", func(o *Options) { o.BGP.Password = `a"b` }, "password"},
		{"password with a space", func(o *Options) { o.BGP.Password = "a b" }, "password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.edit(&o)
			err := o.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate() = %v, want an error about %q", err, tc.want)
			}
		})
	}
}
