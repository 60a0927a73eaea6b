package layer2

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"
)

func TestNewValidates(t *testing.T) {
	for _, bursts := range [][]time.Duration{{-time.Second}, {time.Second, 0}} {
		if _, err := New(logr.Discard(), Options{Bursts: bursts}); err == nil {
			t.Errorf("New accepted bursts %v", bursts)
		}
	}
}

// TestApply checks the diffing of Apply on an open link, without Run:
// which pairs are answered, which bursts are pending, which groups joined.
func TestApply(t *testing.T) {
	c := clocktesting.NewFakeClock(time.Unix(1700000000, 0))
	a, err := New(logr.Discard(), Options{Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	l := newLink("eth0", 2, nodeMAC, newPipeConn(), newPipeConn(), -1)
	a.links["eth0"] = l
	// Same low 24 bits as owned6, so the same solicited-node group.
	twin6 := netip.MustParseAddr("2001:db8:200::200")
	group := netip.MustParseAddr("ff02::1:ff00:200")
	mapped := netip.AddrFrom16(owned4.As16()) // ::ffff:198.51.100.200

	pending := func() []pair {
		var ps []pair
		for p := range a.sched.pending {
			ps = append(ps, p)
		}
		return ps
	}
	opts := []cmp.Option{
		cmp.AllowUnexported(pair{}),
		cmp.Comparer(func(x, y netip.Addr) bool { return x == y }),
		cmp.Transformer("sort", func(ps []pair) []pair {
			out := append([]pair(nil), ps...)
			slices.SortFunc(out, comparePairs)
			return out
		}),
	}
	check := func(step string, wantStatus map[netip.Addr][]string, wantPending []pair, wantGroups map[netip.Addr]int) {
		t.Helper()
		if diff := cmp.Diff(wantStatus, a.Status(), opts...); diff != "" {
			t.Errorf("%s: Status (-want +got):\n%s", step, diff)
		}
		if diff := cmp.Diff(wantPending, pending(), opts...); diff != "" {
			t.Errorf("%s: pending bursts (-want +got):\n%s", step, diff)
		}
		if diff := cmp.Diff(wantGroups, l.groups, opts...); diff != "" {
			t.Errorf("%s: groups (-want +got):\n%s", step, diff)
		}
	}

	a.Apply(map[netip.Addr][]string{
		mapped: {"eth0", "eth1", ""}, owned6: {"eth0"}, twin6: {"eth0"}, {}: {"eth0"},
	})
	check("first Apply",
		map[netip.Addr][]string{owned4: {"eth0"}, owned6: {"eth0"}, twin6: {"eth0"}},
		[]pair{{owned4, "eth0"}, {owned6, "eth0"}, {twin6, "eth0"}},
		map[netip.Addr]int{group: 2})

	// The same state again, built anew, restarts nothing.
	first, _ := a.sched.next()
	c.Step(100 * time.Millisecond)
	a.Apply(map[netip.Addr][]string{owned4: {"eth1", "eth0"}, owned6: {"eth0"}, twin6: {"eth0"}})
	if next, _ := a.sched.next(); !next.Equal(first) {
		t.Errorf("an unchanged Apply moved the next packet from %v to %v", first, next)
	}

	a.Apply(map[netip.Addr][]string{owned4: {"eth0"}, twin6: {"eth0"}})
	check("owned6 removed",
		map[netip.Addr][]string{owned4: {"eth0"}, twin6: {"eth0"}},
		[]pair{{owned4, "eth0"}, {twin6, "eth0"}},
		map[netip.Addr]int{group: 1})

	a.Apply(nil)
	check("all removed", map[netip.Addr][]string{}, nil, map[netip.Addr]int{})
}
