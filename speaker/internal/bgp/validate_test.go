package bgp

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeRejects(t *testing.T) {
	t.Parallel()
	peer := Peer{Name: "a", Address: netip.MustParseAddr("198.18.255.11"), ASN: 65001, LocalASN: 64512}
	for _, tc := range []struct {
		name string
		edit func(d *Desired)
		want string
	}{
		{"IPv6 router ID", func(d *Desired) { d.RouterID = netip.MustParseAddr("2001:db8::1") }, "router ID"},
		{"no router ID", func(d *Desired) { d.RouterID = netip.Addr{} }, "router ID"},
		{"unnamed peer", func(d *Desired) { d.Peers[0].Name = "" }, "has no name"},
		{"peer twice", func(d *Desired) { d.Peers = append(d.Peers, peer) }, `peer "a" is listed twice`},
		{"shared address", func(d *Desired) { p := peer; p.Name = "b"; d.Peers = append(d.Peers, p) }, "same address"},
		{"no ASN", func(d *Desired) { d.Peers[0].ASN = 0 }, "must not be 0"},
		{"source of another family", func(d *Desired) { d.Peers[0].SourceAddress = netip.MustParseAddr("2001:db8::2") }, "different families"},
		{"hold time 2s", func(d *Desired) { d.Peers[0].HoldTime = 2 * time.Second }, "hold time 2s"},
		{"negative keepalive", func(d *Desired) { d.Peers[0].KeepaliveTime = -time.Second }, "keepalive time"},
		{"restart time too long", func(d *Desired) { d.Peers[0].RestartTime = 4096 * time.Second }, "restart time"},
		{"long password", func(d *Desired) { d.Peers[0].Password = strings.Repeat("x", 81) }, "password is longer"},
		{"paths of an unknown peer", func(d *Desired) { d.Paths["z"] = []Path{{Prefix: host4, NextHop: nh4}} }, `peer "z", which is not in Peers`},
		{"unmasked prefix", func(d *Desired) { d.Paths["a"][0].Prefix = netip.MustParsePrefix("198.51.100.10/24") }, "not a masked"},
		{"next hop of another family", func(d *Desired) { d.Paths["a"][0].NextHop = nh6 }, "same family"},
		{"prefix twice", func(d *Desired) { d.Paths["a"] = append(d.Paths["a"], d.Paths["a"][0]) }, "listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := Desired{RouterID: testRouterID, Peers: []Peer{peer}, Paths: map[string][]Path{"a": {{Prefix: host4, NextHop: nh4}}}}
			tc.edit(&d)
			_, err := normalize(d)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("normalize = %v, want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	got, err := normalize(Desired{
		RouterID: netip.MustParseAddr("::ffff:198.18.255.1"),
		Peers: []Peer{{
			Name: "a", Address: netip.MustParseAddr("::ffff:198.18.255.11"), ASN: 65001, LocalASN: 64512,
			SourceAddress: netip.MustParseAddr("0.0.0.0"), HoldTime: 90500 * time.Millisecond,
		}},
		Paths: map[string][]Path{"a": {{
			Prefix: host4, NextHop: netip.MustParseAddr("::ffff:203.0.113.2"),
			Communities:      []uint32{3, 1, 3},
			LargeCommunities: [][3]uint32{{2, 0, 0}, {1, 2, 3}, {2, 0, 0}},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := desired{
		routerID: testRouterID,
		peers: map[string]Peer{"a": {
			Name: "a", Address: netip.MustParseAddr("198.18.255.11"), ASN: 65001, LocalASN: 64512,
			HoldTime: 90 * time.Second, ConnectTime: defaultConnectTime,
		}},
		paths: map[string]map[netip.Prefix]Path{"a": {host4: {
			Prefix: host4, NextHop: nh4, Communities: []uint32{1, 3}, LargeCommunities: [][3]uint32{{1, 2, 3}, {2, 0, 0}},
		}}},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(desired{}), equateNetip); diff != "" {
		t.Errorf("normalize (-want +got):\n%s", diff)
	}
}
