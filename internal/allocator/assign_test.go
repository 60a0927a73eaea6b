package allocator_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ironlb/ironlb/internal/allocator"
)

// TestAssign runs one Assign after a few successful ones and checks the
// result, or the error and that the Service's holdings did not change.
func TestAssign(t *testing.T) {
	a30 := pool("a", "203.0.113.0/30")
	b30 := pool("b", "198.51.100.0/30")
	mixed := pool("m", "203.0.113.0/30", "2001:db8::/126")
	tests := []struct {
		name    string
		pools   []allocator.Pool
		before  []allocator.Request
		req     allocator.Request
		want    []allocator.Assignment
		wantErr error
	}{
		{
			name:  "lowest free address",
			pools: []allocator.Pool{a30},
			req:   allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			want:  []allocator.Assignment{as("203.0.113.0", "a")},
		},
		{
			name:   "next lowest",
			pools:  []allocator.Pool{a30},
			before: []allocator.Request{{Service: "ns/b", Families: v4, Pools: []string{"a"}}},
			req:    allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			want:   []allocator.Assignment{as("203.0.113.1", "a")},
		},
		{
			name:  "lowest across ranges listed out of order",
			pools: []allocator.Pool{pool("a", "203.0.113.10-203.0.113.20", "203.0.113.5")},
			req:   allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			want:  []allocator.Assignment{as("203.0.113.5", "a")},
		},
		{
			name:    "one-address pool exhausted",
			pools:   []allocator.Pool{pool("a", "203.0.113.7/32")},
			before:  []allocator.Request{{Service: "ns/b", Families: v4, Pools: []string{"a"}}},
			req:     allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			wantErr: allocator.ErrPoolExhausted,
		},
		{
			name:    "one-address IPv6 pool exhausted",
			pools:   []allocator.Pool{pool("a", "2001:db8::7/128")},
			before:  []allocator.Request{{Service: "ns/b", Families: v6, Pools: []string{"a"}}},
			req:     allocator.Request{Service: "ns/a", Families: v6, Pools: []string{"a"}},
			wantErr: allocator.ErrPoolExhausted,
		},
		{
			name:  "avoid buggy IPs skips .0",
			pools: []allocator.Pool{avoiding(pool("a", "203.0.113.0/24"))},
			req:   allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			want:  []allocator.Assignment{as("203.0.113.1", "a")},
		},
		{
			name:   "avoid buggy IPs skips .255 and .0 across a /24 boundary",
			pools:  []allocator.Pool{avoiding(pool("a", "198.51.100.254-198.51.101.2"))},
			before: []allocator.Request{{Service: "ns/b", Families: v4, Pools: []string{"a"}}},
			req:    allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			want:   []allocator.Assignment{as("198.51.101.1", "a")},
		},
		{
			name:    "avoid buggy IPs: a range ending in .255 is full one address early",
			pools:   []allocator.Pool{avoiding(pool("a", "198.51.100.254-198.51.100.255"))},
			before:  []allocator.Request{{Service: "ns/b", Families: v4, Pools: []string{"a"}}},
			req:     allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			wantErr: allocator.ErrPoolExhausted,
		},
		{
			name:    "avoid buggy IPs: a pool of only .255 and .0 has nothing to give",
			pools:   []allocator.Pool{avoiding(pool("a", "198.51.100.255-198.51.101.0"))},
			req:     allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			wantErr: allocator.ErrNoEligiblePool,
		},
		{
			name:  "avoid buggy IPs does not touch IPv6",
			pools: []allocator.Pool{avoiding(pool("a", "2001:db8::ff-2001:db8::100"))},
			req:   allocator.Request{Service: "ns/a", Families: v6, Pools: []string{"a"}},
			want:  []allocator.Assignment{as("2001:db8::ff", "a")},
		},
		{
			name:  "mixed pool, IPv6 only",
			pools: []allocator.Pool{mixed},
			req:   allocator.Request{Service: "ns/a", Families: v6, Pools: []string{"m"}},
			want:  []allocator.Assignment{as("2001:db8::", "m")},
		},
		{
			name:  "mixed pool, dual stack",
			pools: []allocator.Pool{mixed},
			req:   allocator.Request{Service: "ns/a", Families: dual, Pools: []string{"m"}},
			want:  []allocator.Assignment{as("203.0.113.0", "m"), as("2001:db8::", "m")},
		},
		{
			name:  "dual stack in the requested family order",
			pools: []allocator.Pool{mixed},
			req:   allocator.Request{Service: "ns/a", Families: v6v4, Pools: []string{"m"}},
			want:  []allocator.Assignment{as("2001:db8::", "m"), as("203.0.113.0", "m")},
		},
		{
			name:  "dual stack from two pools",
			pools: []allocator.Pool{a30, pool("six", "2001:db8::/64")},
			req:   allocator.Request{Service: "ns/a", Families: dual, Pools: []string{"six", "a"}},
			want:  []allocator.Assignment{as("203.0.113.0", "a"), as("2001:db8::", "six")},
		},
		{
			name:  "first candidate pool wins over a lower address",
			pools: []allocator.Pool{a30, b30},
			req:   allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a", "b"}},
			want:  []allocator.Assignment{as("203.0.113.0", "a")},
		},
		{
			name:   "full pool falls through to the next candidate",
			pools:  []allocator.Pool{pool("a", "203.0.113.7"), b30},
			before: []allocator.Request{{Service: "ns/b", Families: v4, Pools: []string{"a"}}},
			req:    allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a", "b"}},
			want:   []allocator.Assignment{as("198.51.100.0", "b")},
		},
		{
			name:  "pool without the family is skipped",
			pools: []allocator.Pool{pool("six", "2001:db8::/64"), b30},
			req:   allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"six", "b"}},
			want:  []allocator.Assignment{as("198.51.100.0", "b")},
		},
		{
			name:  "unknown and repeated pool names are skipped",
			pools: []allocator.Pool{a30},
			req:   allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"gone", "a", "a"}},
			want:  []allocator.Assignment{as("203.0.113.0", "a")},
		},
		{
			name:    "no candidate pool",
			pools:   []allocator.Pool{a30},
			req:     allocator.Request{Service: "ns/a", Families: v4},
			wantErr: allocator.ErrNoEligiblePool,
		},
		{
			name:    "no candidate pool has the family",
			pools:   []allocator.Pool{a30},
			req:     allocator.Request{Service: "ns/a", Families: v6, Pools: []string{"a"}},
			wantErr: allocator.ErrNoEligiblePool,
		},
		{
			name:    "dual stack fails whole when one family has no pool",
			pools:   []allocator.Pool{a30},
			req:     allocator.Request{Service: "ns/a", Families: dual, Pools: []string{"a"}},
			wantErr: allocator.ErrNoEligiblePool,
		},
		{
			name:  "every candidate full",
			pools: []allocator.Pool{pool("a", "203.0.113.7"), pool("b", "198.51.100.7")},
			before: []allocator.Request{
				{Service: "ns/b", Families: v4, Pools: []string{"a"}},
				{Service: "ns/c", Families: v4, Pools: []string{"b"}},
			},
			req:     allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a", "b"}},
			wantErr: allocator.ErrPoolExhausted,
		},

		// Addresses asked for by name.
		{
			name:  "explicit address",
			pools: []allocator.Pool{a30},
			req:   allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("203.0.113.2"), Pools: []string{"a"}},
			want:  []allocator.Assignment{as("203.0.113.2", "a")},
		},
		{
			name:  "explicit address in IPv4-mapped spelling",
			pools: []allocator.Pool{a30},
			req:   allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("::ffff:203.0.113.2"), Pools: []string{"a"}},
			want:  []allocator.Assignment{as("203.0.113.2", "a")},
		},
		{
			name:    "explicit address in a pool that is not a candidate",
			pools:   []allocator.Pool{a30, b30},
			req:     allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("198.51.100.1"), Pools: []string{"a"}},
			wantErr: allocator.ErrNotAllowed,
		},
		{
			name:    "explicit address in no pool",
			pools:   []allocator.Pool{a30},
			req:     allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("198.18.2.1"), Pools: []string{"a"}},
			wantErr: allocator.ErrNotInPool,
		},
		{
			name:    "explicit .0 in a pool that avoids it",
			pools:   []allocator.Pool{avoiding(pool("a", "203.0.113.0/24"))},
			req:     allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("203.0.113.0"), Pools: []string{"a"}},
			wantErr: allocator.ErrNotAllowed,
		},
		{
			name:    "explicit .255 in a pool that avoids it",
			pools:   []allocator.Pool{avoiding(pool("a", "203.0.113.0/24"))},
			req:     allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("203.0.113.255"), Pools: []string{"a"}},
			wantErr: allocator.ErrNotAllowed,
		},
		{
			name:    "explicit address held by a Service that does not share",
			pools:   []allocator.Pool{a30},
			before:  []allocator.Request{{Service: "ns/b", Families: v4, IPs: addrs("203.0.113.2"), Pools: []string{"a"}}},
			req:     allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("203.0.113.2"), Pools: []string{"a"}, SharingKey: "k"},
			wantErr: allocator.ErrIPInUse,
		},
		{
			name:  "explicit address shared",
			pools: []allocator.Pool{a30},
			before: []allocator.Request{
				{Service: "ns/b", Families: v4, IPs: addrs("203.0.113.2"), Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}},
			},
			req:  allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("203.0.113.2"), Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp443}},
			want: []allocator.Assignment{as("203.0.113.2", "a")},
		},
		{
			name:  "explicit IPv6, automatic IPv4",
			pools: []allocator.Pool{mixed},
			req:   allocator.Request{Service: "ns/a", Families: dual, IPs: addrs("2001:db8::3"), Pools: []string{"m"}},
			want:  []allocator.Assignment{as("203.0.113.0", "m"), as("2001:db8::3", "m")},
		},
		{
			name:    "explicit IPv6 in use fails the IPv4 half too",
			pools:   []allocator.Pool{mixed},
			before:  []allocator.Request{{Service: "ns/b", Families: v6, Pools: []string{"m"}}},
			req:     allocator.Request{Service: "ns/a", Families: dual, IPs: addrs("2001:db8::"), Pools: []string{"m"}},
			wantErr: allocator.ErrIPInUse,
		},

		// Sharing without naming the address.
		{
			name:   "shares with the same key and other ports",
			pools:  []allocator.Pool{a30},
			before: []allocator.Request{{Service: "ns/b", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}}},
			req:    allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp443}},
			want:   []allocator.Assignment{as("203.0.113.0", "a")},
		},
		{
			name:   "same port number over another protocol shares",
			pools:  []allocator.Pool{a30},
			before: []allocator.Request{{Service: "ns/b", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp53}}},
			req:    allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{udp53}},
			want:   []allocator.Assignment{as("203.0.113.0", "a")},
		},
		{
			name:  "three Services on one address",
			pools: []allocator.Pool{a30},
			before: []allocator.Request{
				{Service: "ns/b", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}},
				{Service: "ns/c", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp443}},
			},
			req:  allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{udp53}},
			want: []allocator.Assignment{as("203.0.113.0", "a")},
		},
		{
			name:   "no sharing key: a fresh address",
			pools:  []allocator.Pool{a30},
			before: []allocator.Request{{Service: "ns/b", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}}},
			req:    allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, Ports: []allocator.Port{tcp443}},
			want:   []allocator.Assignment{as("203.0.113.1", "a")},
		},
		{
			name:   "holder without a sharing key: a fresh address",
			pools:  []allocator.Pool{a30},
			before: []allocator.Request{{Service: "ns/b", Families: v4, Pools: []string{"a"}, Ports: []allocator.Port{tcp80}}},
			req:    allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp443}},
			want:   []allocator.Assignment{as("203.0.113.1", "a")},
		},
		{
			name:   "another sharing key: a fresh address",
			pools:  []allocator.Pool{a30},
			before: []allocator.Request{{Service: "ns/b", Families: v4, Pools: []string{"a"}, SharingKey: "k1", Ports: []allocator.Port{tcp80}}},
			req:    allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k2", Ports: []allocator.Port{tcp443}},
			want:   []allocator.Assignment{as("203.0.113.1", "a")},
		},
		{
			name:   "same protocol and port: a fresh address",
			pools:  []allocator.Pool{a30},
			before: []allocator.Request{{Service: "ns/b", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80, tcp443}}},
			req:    allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{udp53, tcp443}},
			want:   []allocator.Assignment{as("203.0.113.1", "a")},
		},
		{
			name:  "another traffic key: a fresh address",
			pools: []allocator.Pool{a30},
			before: []allocator.Request{
				{Service: "ns/b", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}, TrafficKey: "Local/app=web"},
			},
			req:  allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp443}},
			want: []allocator.Assignment{as("203.0.113.1", "a")},
		},
		{
			name:  "equal traffic keys share",
			pools: []allocator.Pool{a30},
			before: []allocator.Request{
				{Service: "ns/b", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}, TrafficKey: "Local/app=web"},
			},
			req:  allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp443}, TrafficKey: "Local/app=web"},
			want: []allocator.Assignment{as("203.0.113.0", "a")},
		},
		{
			name:  "skips a shared address whose holders clash, takes the next shareable",
			pools: []allocator.Pool{a30},
			before: []allocator.Request{
				{Service: "ns/b", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}},  // .0
				{Service: "ns/c", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp443}}, // shares .0
				{Service: "ns/d", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}},  // clashes with b: .1
			},
			req:  allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp443}},
			want: []allocator.Assignment{as("203.0.113.1", "a")},
		},
		{
			name:  "shares in the first candidate pool over a lower address",
			pools: []allocator.Pool{b30, a30},
			before: []allocator.Request{
				{Service: "ns/b", Families: v4, Pools: []string{"b"}, SharingKey: "k", Ports: []allocator.Port{tcp80}},
				{Service: "ns/c", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}},
			},
			req:  allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a", "b"}, SharingKey: "k", Ports: []allocator.Port{tcp443}},
			want: []allocator.Assignment{as("203.0.113.0", "a")},
		},
		{
			name:   "does not share an address outside the candidate pools",
			pools:  []allocator.Pool{a30, b30},
			before: []allocator.Request{{Service: "ns/b", Families: v4, Pools: []string{"b"}, SharingKey: "k", Ports: []allocator.Port{tcp80}}},
			req:    allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp443}},
			want:   []allocator.Assignment{as("203.0.113.0", "a")},
		},
		{
			name:   "shares only the family it asks for",
			pools:  []allocator.Pool{mixed},
			before: []allocator.Request{{Service: "ns/b", Families: v6, Pools: []string{"m"}, SharingKey: "k", Ports: []allocator.Port{tcp80}}},
			req:    allocator.Request{Service: "ns/a", Families: dual, Pools: []string{"m"}, SharingKey: "k", Ports: []allocator.Port{tcp443}},
			want:   []allocator.Assignment{as("203.0.113.0", "m"), as("2001:db8::", "m")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAllocator(t, tt.pools...)
			for _, r := range tt.before {
				mustAssign(t, a, r)
			}
			held := a.Assigned(tt.req.Service)
			got, err := a.Assign(tt.req)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Assign() error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				wantAssigned(t, a, tt.req.Service, held...)
				return
			}
			if diff := cmp.Diff(tt.want, got, equateAddrs); diff != "" {
				t.Errorf("Assign() mismatch (-want +got):\n%s", diff)
			}
			wantAssigned(t, a, tt.req.Service, tt.want...)
		})
	}
}

func TestAssignInvalid(t *testing.T) {
	a := newAllocator(t, pool("m", "203.0.113.0/30", "2001:db8::/126"))
	tests := []struct {
		name string
		req  allocator.Request
	}{
		{"no service", allocator.Request{Families: v4, Pools: []string{"m"}}},
		{"no family", allocator.Request{Service: "ns/a", Pools: []string{"m"}}},
		{"three families", allocator.Request{Service: "ns/a", Families: []allocator.Family{allocator.IPv4, allocator.IPv6, allocator.IPv4}, Pools: []string{"m"}}},
		{"one family twice", allocator.Request{Service: "ns/a", Families: []allocator.Family{allocator.IPv6, allocator.IPv6}, Pools: []string{"m"}}},
		{"unknown family", allocator.Request{Service: "ns/a", Families: []allocator.Family{0}, Pools: []string{"m"}}},
		{"two IPv4 addresses", allocator.Request{Service: "ns/a", Families: dual, IPs: addrs("203.0.113.1", "203.0.113.2"), Pools: []string{"m"}}},
		{"IPv4 and its mapped spelling", allocator.Request{Service: "ns/a", Families: dual, IPs: addrs("203.0.113.1", "::ffff:203.0.113.2"), Pools: []string{"m"}}},
		{"address of a family not asked for", allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("2001:db8::1"), Pools: []string{"m"}}},
		{"zero address", allocator.Request{Service: "ns/a", Families: v4, IPs: []netip.Addr{{}}, Pools: []string{"m"}}},
		{"address with a zone", allocator.Request{Service: "ns/a", Families: v6, IPs: addrs("2001:db8::1%eth0"), Pools: []string{"m"}}},
		{"lowercase protocol", allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"m"}, Ports: []allocator.Port{{Protocol: "tcp", Port: 80}}}},
		{"port 0", allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"m"}, Ports: []allocator.Port{{Protocol: "TCP"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := a.Assign(tt.req); !errors.Is(err, allocator.ErrInvalidRequest) {
				t.Errorf("Assign() error = %v, want %v", err, allocator.ErrInvalidRequest)
			}
			if err := a.Import(tt.req, tt.req.IPs); !errors.Is(err, allocator.ErrInvalidRequest) {
				t.Errorf("Import() error = %v, want %v", err, allocator.ErrInvalidRequest)
			}
		})
	}
}

// TestAssignErrorMessages pins messages a person reads in a condition.
func TestAssignErrorMessages(t *testing.T) {
	a := newAllocator(t, pool("a", "203.0.113.0/30"), avoiding(pool("b", "198.51.100.0/24")))
	mustAssign(t, a, allocator.Request{Service: "ns/b", Families: v4, IPs: addrs("203.0.113.2"), Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}})
	tests := []struct {
		req  allocator.Request
		want string
	}{
		{
			allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("203.0.113.2"), Pools: []string{"a"}},
			`assign 203.0.113.2 to "ns/a": held by "ns/b", and the request has no sharing key: address in use`,
		},
		{
			allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("203.0.113.2"), Pools: []string{"a"}, SharingKey: "x"},
			`assign 203.0.113.2 to "ns/a": held by "ns/b" with sharing key "k", not "x": address in use`,
		},
		{
			allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("203.0.113.2"), Pools: []string{"a"}, SharingKey: "k", TrafficKey: "Local/x"},
			`assign 203.0.113.2 to "ns/a": held by "ns/b" with traffic key "", not "Local/x": address in use`,
		},
		{
			allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("203.0.113.2"), Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}},
			`assign 203.0.113.2 to "ns/a": held by "ns/b", which also uses TCP/80: address in use`,
		},
		{
			allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("203.0.113.2"), Pools: []string{"b"}},
			`assign 203.0.113.2 to "ns/a": its pool "a" is not among ["b"]: address not allowed for this service`,
		},
		{
			allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("198.51.100.255"), Pools: []string{"b"}},
			`assign 198.51.100.255 to "ns/a": pool "b" avoids addresses ending in .0 and .255: address not allowed for this service`,
		},
		{
			allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("198.18.2.1"), Pools: []string{"a"}},
			`assign 198.18.2.1 to "ns/a": address in no pool`,
		},
		{
			allocator.Request{Service: "ns/a", Families: v6, Pools: []string{"a", "b"}},
			`assign IPv6 address to "ns/a": none of the pools ["a" "b"] has IPv6 addresses: no candidate pool has addresses of this family`,
		},
		{
			allocator.Request{Service: "ns/a", Families: dual, IPs: addrs("203.0.113.1", "203.0.113.2"), Pools: []string{"a"}},
			`assign to "ns/a": two IPv4 addresses: invalid request`,
		},
	}
	for _, tt := range tests {
		_, err := a.Assign(tt.req)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Assign(%+v) error:\n got %v\nwant %s", tt.req, err, tt.want)
		}
	}
	for _, name := range []string{"ns/x", "ns/y", "ns/z"} {
		mustAssign(t, a, allocator.Request{Service: name, Families: v4, Pools: []string{"a"}})
	}
	_, err := a.Assign(allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}})
	if want := `assign IPv4 address to "ns/a": pools ["a"] are full: no free address in the candidate pools`; err == nil || err.Error() != want {
		t.Errorf("Assign() error:\n got %v\nwant %s", err, want)
	}
}
