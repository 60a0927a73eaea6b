package bgp

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// appliedOf is what GoBGP holds once want has been applied.
func appliedOf(want desired) applied {
	a := newApplied()
	a.started, a.routerID = true, want.routerID
	id := uint32(0)
	for name, p := range want.peers {
		id++
		a.vrfs[name], a.peers[name] = id, p
		a.paths[name] = map[netip.Prefix]Path{}
		for prefix, path := range want.paths[name] {
			a.paths[name][prefix] = path
		}
	}
	return a
}

func mustNormalize(t *testing.T, d Desired) desired {
	t.Helper()
	want, err := normalize(d)
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// opStrings makes plans readable in diffs.
func opStrings(ops []op) []string {
	var out []string
	for _, o := range ops {
		switch o.kind {
		case opDeletePeer, opAddPeer:
			out = append(out, fmt.Sprintf("%v %s at %v", o.kind, o.name, o.peer.Address))
		case opDeletePath, opAddPath:
			out = append(out, fmt.Sprintf("%v %s %v via %v", o.kind, o.name, o.path.Prefix, o.path.NextHop))
		default:
			out = append(out, fmt.Sprintf("%v %s", o.kind, o.name))
		}
	}
	return out
}

func TestPlan(t *testing.T) {
	t.Parallel()
	a := Peer{Name: "a", Address: netip.MustParseAddr("198.18.255.11"), ASN: 65001, LocalASN: 64512}
	b := Peer{Name: "b", Address: netip.MustParseAddr("198.18.255.12"), ASN: 65002, LocalASN: 64512}
	base := Desired{
		RouterID: testRouterID,
		Peers:    []Peer{a, b},
		Paths: map[string][]Path{
			"a": {{Prefix: host4, NextHop: nh4, Communities: []uint32{1}}, {Prefix: host6, NextHop: nh6}},
			"b": {{Prefix: host4, NextHop: nh4}},
		},
	}
	with := func(edit func(d *Desired)) Desired {
		d := base
		d.Peers = append([]Peer(nil), base.Peers...)
		d.Paths = map[string][]Path{}
		for k, v := range base.Paths {
			d.Paths[k] = append([]Path(nil), v...)
		}
		edit(&d)
		return d
	}
	for _, tc := range []struct {
		name string
		cur  applied
		want Desired
		ops  []string
	}{{
		name: "from nothing",
		cur:  func() applied { a := newApplied(); a.started, a.routerID = true, testRouterID; return a }(),
		want: base,
		ops: []string{
			"add VRF a", "add VRF b",
			"announce path a 198.51.100.10/32 via 203.0.113.2", "announce path a 2001:db8:100::10/128 via 2001:db8:ffff::2",
			"announce path b 198.51.100.10/32 via 203.0.113.2",
			"add peer a at 198.18.255.11", "add peer b at 198.18.255.12",
		},
	}, {
		name: "nothing changed",
		cur:  appliedOf(mustNormalize(t, base)),
		want: with(func(d *Desired) {
			// Order carries no meaning, in paths or in communities.
			d.Paths["a"] = []Path{{Prefix: host6, NextHop: nh6}, {Prefix: host4, NextHop: nh4, Communities: []uint32{1, 1}}}
		}),
	}, {
		name: "attributes of one path change",
		cur:  appliedOf(mustNormalize(t, base)),
		want: with(func(d *Desired) { d.Paths["b"][0].LocalPref = 200 }),
		ops:  []string{"announce path b 198.51.100.10/32 via 203.0.113.2"},
	}, {
		name: "a path leaves one peer",
		cur:  appliedOf(mustNormalize(t, base)),
		want: with(func(d *Desired) { d.Paths["a"] = d.Paths["a"][1:] }),
		ops:  []string{"withdraw path a 198.51.100.10/32 via 203.0.113.2"},
	}, {
		name: "one peer's hold time changes",
		cur:  appliedOf(mustNormalize(t, base)),
		want: with(func(d *Desired) { d.Peers[1].HoldTime = 30 * time.Second }),
		ops:  []string{"delete peer b at 198.18.255.12", "add peer b at 198.18.255.12"},
	}, {
		name: "a peer is removed",
		cur:  appliedOf(mustNormalize(t, base)),
		want: with(func(d *Desired) { d.Peers = d.Peers[:1]; delete(d.Paths, "b") }),
		ops:  []string{"delete peer b at 198.18.255.12", "delete VRF b"},
	}, {
		name: "two peers swap addresses",
		cur:  appliedOf(mustNormalize(t, base)),
		want: with(func(d *Desired) { d.Peers[0].Address, d.Peers[1].Address = b.Address, a.Address }),
		ops: []string{
			"delete peer a at 198.18.255.11", "delete peer b at 198.18.255.12",
			"add peer a at 198.18.255.12", "add peer b at 198.18.255.11",
		},
	}, {
		name: "a peer that failed to be added is added again",
		cur: func() applied {
			cur := appliedOf(mustNormalize(t, base))
			delete(cur.peers, "a")
			return cur
		}(),
		want: base,
		ops:  []string{"add peer a at 198.18.255.11"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := opStrings(plan(tc.cur, mustNormalize(t, tc.want)))
			if diff := cmp.Diff(tc.ops, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGlobalASN(t *testing.T) {
	t.Parallel()
	if got := globalASN(mustNormalize(t, Desired{RouterID: testRouterID})); got != defaultLocalASN {
		t.Errorf("without peers: %d, want %d", got, defaultLocalASN)
	}
	d := Desired{RouterID: testRouterID, Peers: []Peer{
		{Name: "z", Address: netip.MustParseAddr("198.18.255.1"), ASN: 1, LocalASN: 65001},
		{Name: "m", Address: netip.MustParseAddr("198.18.255.2"), ASN: 1, LocalASN: 65002},
	}}
	if got := globalASN(mustNormalize(t, d)); got != 65002 {
		t.Errorf("global ASN = %d, want the first peer's by name, 65002", got)
	}
}
