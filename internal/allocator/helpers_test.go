package allocator_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ironlb/ironlb/internal/allocator"
)

var (
	v4   = []allocator.Family{allocator.IPv4}
	v6   = []allocator.Family{allocator.IPv6}
	dual = []allocator.Family{allocator.IPv4, allocator.IPv6}
	v6v4 = []allocator.Family{allocator.IPv6, allocator.IPv4}

	tcp80  = allocator.Port{Protocol: "TCP", Port: 80}
	tcp443 = allocator.Port{Protocol: "TCP", Port: 443}
	tcp53  = allocator.Port{Protocol: "TCP", Port: 53}
	udp53  = allocator.Port{Protocol: "UDP", Port: 53}
)

// equateAddrs lets cmp compare netip.Addr, whose fields are unexported.
var equateAddrs = cmpopts.EquateComparable(netip.Addr{})

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, addr(s))
	}
	return out
}

// rng parses a range written as a prefix, "first-last" or one address.
func rng(s string) allocator.Range {
	if strings.Contains(s, "/") {
		return allocator.PrefixRange(netip.MustParsePrefix(s))
	}
	first, last, ok := strings.Cut(s, "-")
	if !ok {
		last = first
	}
	return allocator.Range{First: addr(first), Last: addr(last)}
}

func pool(name string, ranges ...string) allocator.Pool {
	p := allocator.Pool{Name: name}
	for _, r := range ranges {
		p.Ranges = append(p.Ranges, rng(r))
	}
	return p
}

func avoiding(p allocator.Pool) allocator.Pool {
	p.AvoidBuggyIPs = true
	return p
}

// assignment builds the expected result for one address.
func as(ip, pool string) allocator.Assignment {
	return allocator.Assignment{IP: addr(ip), Pool: pool}
}

// newAllocator returns an allocator with pools set and checks its
// invariants when the test ends.
func newAllocator(t *testing.T, pools ...allocator.Pool) *allocator.Allocator {
	t.Helper()
	a := allocator.New()
	if err := a.SetPools(pools); err != nil {
		t.Fatalf("SetPools: %v", err)
	}
	t.Cleanup(func() { checkInvariants(t, a) })
	return a
}

func checkInvariants(t *testing.T, a *allocator.Allocator) {
	t.Helper()
	if err := allocator.CheckInvariants(a); err != nil {
		t.Fatalf("invariants: %v", err)
	}
}

func mustAssign(t *testing.T, a *allocator.Allocator, req allocator.Request) []allocator.Assignment {
	t.Helper()
	got, err := a.Assign(req)
	if err != nil {
		t.Fatalf("Assign(%s): %v", req.Service, err)
	}
	checkInvariants(t, a)
	return got
}

// wantAssigned compares what service holds.
func wantAssigned(t *testing.T, a *allocator.Allocator, service string, want ...allocator.Assignment) {
	t.Helper()
	if diff := cmp.Diff(want, a.Assigned(service), equateAddrs, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Assigned(%q) mismatch (-want +got):\n%s", service, diff)
	}
}

// counts is Stats for one family, as strings, for readable diffs.
type counts struct{ Total, Assigned, Available string }

func stats(a *allocator.Allocator, pool string) (v4, v6 counts) {
	c4, c6 := a.Stats(pool)
	str := func(c allocator.Counts) counts {
		return counts{c.Total.String(), c.Assigned.String(), c.Available.String()}
	}
	return str(c4), str(c6)
}
