package allocator_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ironlb/ironlb/internal/allocator"
)

func TestSetPoolsInvalid(t *testing.T) {
	tests := []struct {
		name    string
		pools   []allocator.Pool
		want    string     // a part of the message
		overlap *[2]string // the pools an OverlapError names, if any
	}{
		{name: "no name", pools: []allocator.Pool{pool("", "203.0.113.0/30")}, want: "pool 0: no name"},
		{name: "same name twice", pools: []allocator.Pool{pool("a", "203.0.113.0/30"), pool("a", "198.51.100.0/30")}, want: `pool "a": defined twice`},
		{name: "missing address", pools: []allocator.Pool{{Name: "a", Ranges: []allocator.Range{{First: addr("203.0.113.1")}}}}, want: "missing address"},
		{name: "families mixed in a range", pools: []allocator.Pool{pool("a", "203.0.113.1-2001:db8::1")}, want: "mixes IPv4 and IPv6"},
		{name: "backwards", pools: []allocator.Pool{pool("a", "203.0.113.9-203.0.113.1")}, want: "first address is after the last"},
		{name: "zone", pools: []allocator.Pool{pool("a", "fe80::1%eth0-fe80::2%eth0")}, want: "zone"},
		{
			name:    "two pools overlap",
			pools:   []allocator.Pool{pool("a", "203.0.113.0/24"), pool("b", "198.51.100.0/24", "203.0.113.128-203.0.113.130")},
			want:    `pools "a" and "b" overlap: 203.0.113.0-203.0.113.255 and 203.0.113.128-203.0.113.130`,
			overlap: &[2]string{"a", "b"},
		},
		{
			name:    "a pool overlaps itself",
			pools:   []allocator.Pool{pool("a", "2001:db8::/64", "2001:db8::5")},
			want:    `pool "a": ranges 2001:db8::-2001:db8::ffff:ffff:ffff:ffff and 2001:db8::5 overlap`,
			overlap: &[2]string{"a", "a"},
		},
		{
			name:    "overlap hidden behind a shorter range",
			pools:   []allocator.Pool{pool("a", "10.0.0.0/8"), pool("b", "10.0.0.5"), pool("c", "10.200.0.0/16")},
			want:    `pools "a" and "c" overlap`,
			overlap: &[2]string{"a", "b"},
		},
		{
			name:  "IPv4 and its mapped spelling are one address",
			pools: []allocator.Pool{pool("a", "203.0.113.7"), pool("b", "::ffff:203.0.113.7")},
			want:  `pools "a" and "b" overlap`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAllocator(t, pool("old", "198.18.2.0/24"))
			err := a.SetPools(tt.pools)
			if !errors.Is(err, allocator.ErrInvalidPool) {
				t.Fatalf("SetPools() error = %v, want %v", err, allocator.ErrInvalidPool)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SetPools() error = %q, want it to contain %q", err, tt.want)
			}
			if tt.overlap != nil {
				var oe *allocator.OverlapError
				if !errors.As(err, &oe) {
					t.Fatalf("SetPools() error = %v, want an OverlapError", err)
				}
				if oe.Pools != *tt.overlap {
					t.Errorf("OverlapError.Pools = %q, want %q", oe.Pools, *tt.overlap)
				}
			}
			// Nothing changed.
			if p, ok := a.PoolOf(addr("198.18.2.1")); p != "old" || !ok {
				t.Errorf("after a failed SetPools, PoolOf() = %q, %v; want the old pool", p, ok)
			}
		})
	}
}

func TestSetPoolsValid(t *testing.T) {
	// Touching ranges do not overlap; an empty pool is a pool.
	a := newAllocator(t,
		pool("a", "203.0.113.0-203.0.113.9"),
		pool("b", "203.0.113.10-203.0.113.19"),
		pool("empty"),
		pool("top", "255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	)
	for _, tt := range []struct{ ip, want string }{
		{"203.0.113.9", "a"}, {"203.0.113.10", "b"}, {"203.0.113.19", "b"}, {"203.0.113.20", ""},
		{"::ffff:203.0.113.0", "a"}, {"255.255.255.255", "top"}, {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "top"},
		{"::", ""}, {"0.0.0.0", ""},
	} {
		if got, ok := a.PoolOf(addr(tt.ip)); got != tt.want || ok != (tt.want != "") {
			t.Errorf("PoolOf(%s) = %q, %v; want %q", tt.ip, got, ok, tt.want)
		}
	}
	if got, ok := a.PoolOf(netip.Addr{}); got != "" || ok {
		t.Errorf("PoolOf(zero) = %q, %v; want nothing", got, ok)
	}
	mustAssign(t, a, allocator.Request{Service: "ns/a", Families: dual, Pools: []string{"empty", "top"}})
	wantAssigned(t, a, "ns/a", as("255.255.255.255", "top"), as("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "top"))
	a.Release("ns/a")
	mustAssign(t, a, allocator.Request{Service: "ns/b", Families: dual, Pools: []string{"top"}})
}

func TestStats(t *testing.T) {
	tests := []struct {
		name   string
		pool   allocator.Pool
		v4, v6 counts
	}{
		{"IPv4 /24", pool("p", "203.0.113.0/24"), counts{"256", "0", "256"}, counts{"0", "0", "0"}},
		{"IPv4 /24 avoiding .0 and .255", avoiding(pool("p", "203.0.113.0/24")), counts{"254", "0", "254"}, counts{"0", "0", "0"}},
		{"avoiding across a /24 boundary", avoiding(pool("p", "198.51.100.250-198.51.101.5")), counts{"10", "0", "10"}, counts{"0", "0", "0"}},
		{"IPv4 /32", pool("p", "203.0.113.7/32"), counts{"1", "0", "1"}, counts{"0", "0", "0"}},
		{"IPv6 /128", pool("p", "2001:db8::7/128"), counts{"0", "0", "0"}, counts{"1", "0", "1"}},
		{"IPv6 avoiding is a no-op", avoiding(pool("p", "2001:db8::/120")), counts{"0", "0", "0"}, counts{"256", "0", "256"}},
		{"mixed", pool("p", "203.0.113.0/30", "2001:db8::/126", "198.51.100.7"), counts{"5", "0", "5"}, counts{"4", "0", "4"}},
		{"IPv6 /64", pool("p", "2001:db8::/64"), counts{"0", "0", "0"}, counts{"18446744073709551616", "0", "18446744073709551616"}},
		{"IPv6 /63", pool("p", "2001:db8::/63"), counts{"0", "0", "0"}, counts{"36893488147419103232", "0", "36893488147419103232"}},
		{
			"IPv6 ::/1 less the IPv4-mapped block",
			pool("p", "::/1"),
			counts{"0", "0", "0"},
			counts{"170141183460469231731687303711589138432", "0", "170141183460469231731687303711589138432"},
		},
		{
			"::/0 less the IPv4-mapped block",
			pool("p", "::/0"),
			counts{"0", "0", "0"},
			counts{"340282366920938463463374607427473244160", "0", "340282366920938463463374607427473244160"},
		},
		{
			"::/0 beside all of IPv4",
			pool("p", "::/0", "0.0.0.0/0"),
			counts{"4294967296", "0", "4294967296"},
			counts{"340282366920938463463374607427473244160", "0", "340282366920938463463374607427473244160"},
		},
		{
			"the top half of IPv6",
			pool("p", "8000::/1"),
			counts{"0", "0", "0"},
			counts{"170141183460469231731687303715884105728", "0", "170141183460469231731687303715884105728"},
		},
		{"IPv4 0.0.0.0/0", pool("p", "0.0.0.0/0"), counts{"4294967296", "0", "4294967296"}, counts{"0", "0", "0"}},
		{"IPv4 0.0.0.0/0 avoiding", avoiding(pool("p", "0.0.0.0/0")), counts{"4261412864", "0", "4261412864"}, counts{"0", "0", "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAllocator(t, tt.pool)
			v4, v6 := stats(a, "p")
			if diff := cmp.Diff(tt.v4, v4); diff != "" {
				t.Errorf("IPv4 counts mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.v6, v6); diff != "" {
				t.Errorf("IPv6 counts mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStatsAssigned(t *testing.T) {
	a := newAllocator(t, pool("p", "203.0.113.0/24", "2001:db8::/64"), pool("q", "198.51.100.0/30"))
	share := func(svc string, p allocator.Port) allocator.Request {
		return allocator.Request{Service: svc, Families: dual, Pools: []string{"p"}, SharingKey: "k", Ports: []allocator.Port{p}}
	}
	mustAssign(t, a, share("ns/a", tcp80))
	mustAssign(t, a, share("ns/b", tcp443)) // shares both: counted once
	mustAssign(t, a, allocator.Request{Service: "ns/c", Families: v6, Pools: []string{"p"}})
	mustAssign(t, a, allocator.Request{Service: "ns/d", Families: v4, Pools: []string{"q"}})
	v4, v6 := stats(a, "p")
	if diff := cmp.Diff(counts{"256", "1", "255"}, v4); diff != "" {
		t.Errorf("IPv4 counts mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(counts{"18446744073709551616", "2", "18446744073709551614"}, v6); diff != "" {
		t.Errorf("IPv6 counts mismatch (-want +got):\n%s", diff)
	}
	c4, _ := a.Stats("p")
	if got := c4.Available.Uint64(); got != 255 {
		t.Errorf("Available.Uint64() = %d, want 255", got)
	}
	if v4, v6 := a.Stats("unknown"); !v4.Total.IsZero() || !v6.Total.IsZero() {
		t.Errorf("Stats(unknown) = %v, %v; want zero", v4, v6)
	}
}

// TestOrphans walks an address out of every pool and back in.
func TestOrphans(t *testing.T) {
	a := newAllocator(t, pool("a", "203.0.113.0/30"))
	req := allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}}
	mustAssign(t, a, req)
	mustAssign(t, a, allocator.Request{Service: "ns/b", Families: v4, Pools: []string{"a"}, IPs: addrs("203.0.113.3")})

	// Shrink: .0 and .3 leave the pool but stay held and reserved.
	if err := a.SetPools([]allocator.Pool{pool("a", "203.0.113.1-203.0.113.2")}); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, a)
	wantAssigned(t, a, "ns/a", as("203.0.113.0", ""))
	want := []allocator.Orphan{{Service: "ns/a", IP: addr("203.0.113.0")}, {Service: "ns/b", IP: addr("203.0.113.3")}}
	if diff := cmp.Diff(want, a.Orphans(), equateAddrs); diff != "" {
		t.Errorf("Orphans() mismatch (-want +got):\n%s", diff)
	}
	if v4, _ := stats(a, "a"); v4 != (counts{"2", "0", "2"}) {
		t.Errorf("Stats(a) = %+v, want 2 free of 2", v4)
	}
	if _, err := a.Assign(allocator.Request{Service: "ns/c", Families: v4, Pools: []string{"a"}, IPs: addrs("203.0.113.0")}); !errors.Is(err, allocator.ErrNotInPool) {
		t.Errorf("Assign(orphan) error = %v, want %v", err, allocator.ErrNotInPool)
	}

	// Grow into another pool: .0 is in pool b now, still held.
	if err := a.SetPools([]allocator.Pool{pool("a", "203.0.113.1-203.0.113.2"), pool("b", "203.0.113.0", "203.0.113.3-203.0.113.5")}); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, a)
	wantAssigned(t, a, "ns/a", as("203.0.113.0", "b"))
	if got := a.Orphans(); got != nil {
		t.Errorf("Orphans() = %v, want none", got)
	}
	if v4, _ := stats(a, "b"); v4 != (counts{"4", "2", "2"}) {
		t.Errorf("Stats(b) = %+v, want 2 of 4 assigned", v4)
	}
	mustAssign(t, a, allocator.Request{Service: "ns/c", Families: v4, Pools: []string{"b"}})
	wantAssigned(t, a, "ns/c", as("203.0.113.4", "b"))

	// Drop b again; re-assigning an orphan's Service moves it into its pools.
	if err := a.SetPools([]allocator.Pool{pool("a", "203.0.113.1-203.0.113.2")}); err != nil {
		t.Fatal(err)
	}
	mustAssign(t, a, req)
	wantAssigned(t, a, "ns/a", as("203.0.113.1", "a"))
	// Releasing an orphan forgets it.
	a.Release("ns/b")
	a.Release("ns/c")
	if got := a.Orphans(); got != nil {
		t.Errorf("Orphans() = %v, want none", got)
	}
	// Regrow: every address is free again except the one in use.
	if err := a.SetPools([]allocator.Pool{pool("a", "203.0.113.0/30")}); err != nil {
		t.Fatal(err)
	}
	if v4, _ := stats(a, "a"); v4 != (counts{"4", "1", "3"}) {
		t.Errorf("Stats(a) = %+v, want 1 of 4 assigned", v4)
	}
	mustAssign(t, a, allocator.Request{Service: "ns/d", Families: v4, Pools: []string{"a"}})
	wantAssigned(t, a, "ns/d", as("203.0.113.0", "a"))
}

// TestSetPoolsAvoidToggle: turning AvoidBuggyIPs on keeps a held .0 address
// held but out of the counts, and turning it off counts it again.
func TestSetPoolsAvoidToggle(t *testing.T) {
	a := newAllocator(t, pool("a", "203.0.113.0/30"))
	mustAssign(t, a, allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}})
	if err := a.SetPools([]allocator.Pool{avoiding(pool("a", "203.0.113.0/30"))}); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, a)
	wantAssigned(t, a, "ns/a", as("203.0.113.0", "a"))
	if v4, _ := stats(a, "a"); v4 != (counts{"3", "0", "3"}) {
		t.Errorf("Stats(a) = %+v, want 0 of 3 assigned", v4)
	}
	if got := a.Orphans(); got != nil {
		t.Errorf("Orphans() = %v, want none: the address is in a pool", got)
	}
	// It is not valid for an Assign any more, so the Service moves.
	mustAssign(t, a, allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}})
	wantAssigned(t, a, "ns/a", as("203.0.113.1", "a"))
	if err := a.SetPools([]allocator.Pool{pool("a", "203.0.113.0/30")}); err != nil {
		t.Fatal(err)
	}
	mustAssign(t, a, allocator.Request{Service: "ns/b", Families: v4, Pools: []string{"a"}})
	wantAssigned(t, a, "ns/b", as("203.0.113.0", "a"))
}

// TestIPv6RangeAroundMappedBlock: an IPv6 range that spans ::ffff:0:0/96
// skips it, both when counting and when assigning.
func TestIPv6RangeAroundMappedBlock(t *testing.T) {
	a := newAllocator(t, pool("six", "::fffe:ffff:fffe-::1:0:0:0"), pool("four", "203.0.113.1"))
	if v4, v6 := stats(a, "six"); v4 != (counts{"0", "0", "0"}) || v6 != (counts{"3", "0", "3"}) {
		t.Errorf("Stats(six) = %+v, %+v; want 3 IPv6 addresses only", v4, v6)
	}
	if got, _ := a.PoolOf(addr("::ffff:203.0.113.1")); got != "four" {
		t.Errorf("PoolOf(::ffff:203.0.113.1) = %q, want four", got)
	}
	var got []string
	for _, svc := range []string{"ns/a", "ns/b", "ns/c"} {
		got = append(got, mustAssign(t, a, allocator.Request{Service: svc, Families: v6, Pools: []string{"six"}})[0].IP.String())
	}
	if diff := cmp.Diff([]string{"::fffe:ffff:fffe", "::fffe:ffff:ffff", "::1:0:0:0"}, got); diff != "" {
		t.Errorf("assigned mismatch (-want +got):\n%s", diff)
	}
	if _, err := a.Assign(allocator.Request{Service: "ns/d", Families: v6, Pools: []string{"six"}}); !errors.Is(err, allocator.ErrPoolExhausted) {
		t.Errorf("Assign() error = %v, want %v", err, allocator.ErrPoolExhausted)
	}
	if _, err := a.Assign(allocator.Request{Service: "ns/d", Families: v4, Pools: []string{"six"}}); !errors.Is(err, allocator.ErrNoEligiblePool) {
		t.Errorf("Assign(IPv4) error = %v, want %v", err, allocator.ErrNoEligiblePool)
	}
}
