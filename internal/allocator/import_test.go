package allocator_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/ironlb/ironlb/internal/allocator"
)

func TestImport(t *testing.T) {
	pools := []allocator.Pool{
		pool("a", "203.0.113.0/30", "2001:db8::/126"),
		avoiding(pool("b", "198.51.100.0/24")),
	}
	sharer := allocator.Request{Service: "ns/s", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}}
	tests := []struct {
		name    string
		before  []allocator.Request // assigned first
		req     allocator.Request
		ips     []netip.Addr
		want    []allocator.Assignment
		wantErr error
	}{
		{
			name: "in a candidate pool",
			req:  allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			ips:  addrs("203.0.113.2"),
			want: []allocator.Assignment{as("203.0.113.2", "a")},
		},
		{
			name: "in a pool that is not a candidate",
			req:  allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"b"}},
			ips:  addrs("203.0.113.2"),
			want: []allocator.Assignment{as("203.0.113.2", "a")},
		},
		{
			name: "in no pool",
			req:  allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			ips:  addrs("198.18.2.1"),
			want: []allocator.Assignment{as("198.18.2.1", "")},
		},
		{
			name: "avoided by its pool",
			req:  allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"b"}},
			ips:  addrs("198.51.100.255"),
			want: []allocator.Assignment{as("198.51.100.255", "b")},
		},
		{
			name: "dual stack in family order",
			req:  allocator.Request{Service: "ns/a", Families: v6v4, Pools: []string{"a"}},
			ips:  addrs("203.0.113.1", "2001:db8::2"),
			want: []allocator.Assignment{as("2001:db8::2", "a"), as("203.0.113.1", "a")},
		},
		{
			name: "one family of a dual-stack request",
			req:  allocator.Request{Service: "ns/a", Families: dual, Pools: []string{"a"}},
			ips:  addrs("2001:db8::2"),
			want: []allocator.Assignment{as("2001:db8::2", "a")},
		},
		{
			name:   "shared with a compatible holder",
			before: []allocator.Request{sharer},
			req:    allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp443}},
			ips:    addrs("203.0.113.0"),
			want:   []allocator.Assignment{as("203.0.113.0", "a")},
		},
		{
			name:    "held by a Service that does not share",
			before:  []allocator.Request{{Service: "ns/s", Families: v4, Pools: []string{"a"}}},
			req:     allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			ips:     addrs("203.0.113.0"),
			wantErr: allocator.ErrIPInUse,
		},
		{
			name:    "held by a sharer on the same port",
			before:  []allocator.Request{sharer},
			req:     allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}},
			ips:     addrs("203.0.113.0"),
			wantErr: allocator.ErrIPInUse,
		},
		{
			name:    "no addresses",
			req:     allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			wantErr: allocator.ErrInvalidRequest,
		},
		{
			name:    "two of one family",
			req:     allocator.Request{Service: "ns/a", Families: dual, Pools: []string{"a"}},
			ips:     addrs("203.0.113.1", "203.0.113.2"),
			wantErr: allocator.ErrInvalidRequest,
		},
		{
			name:    "a family not in the request",
			req:     allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			ips:     addrs("2001:db8::1"),
			wantErr: allocator.ErrInvalidRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAllocator(t, pools...)
			for _, r := range tt.before {
				mustAssign(t, a, r)
			}
			// Whatever the Service held before is replaced, or kept on error.
			mustAssign(t, a, allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, IPs: addrs("203.0.113.3")})
			held := a.Assigned("ns/a")
			for range 2 { // importing twice is the same as once
				err := a.Import(tt.req, tt.ips)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Import() error = %v, want %v", err, tt.wantErr)
				}
				checkInvariants(t, a)
				if err != nil {
					wantAssigned(t, a, "ns/a", held...)
					return
				}
				wantAssigned(t, a, "ns/a", tt.want...)
				if got := a.Owners(addr("203.0.113.3")); tt.want[0].IP != addr("203.0.113.3") && got != nil {
					t.Errorf("Owners(203.0.113.3) = %q, want the replaced address freed", got)
				}
			}
		})
	}
}

// TestImportThenAssign is the restart path: import what status says, then
// the same request assigns nothing new.
func TestImportThenAssign(t *testing.T) {
	a := newAllocator(t, pool("a", "203.0.113.0/24", "2001:db8::/64"))
	req := allocator.Request{Service: "ns/a", Families: dual, Pools: []string{"a"}}
	if err := a.Import(req, addrs("203.0.113.77", "2001:db8::77")); err != nil {
		t.Fatal(err)
	}
	mustAssign(t, a, req)
	wantAssigned(t, a, "ns/a", as("203.0.113.77", "a"), as("2001:db8::77", "a"))
	mustAssign(t, a, allocator.Request{Service: "ns/b", Families: dual, Pools: []string{"a"}})
	wantAssigned(t, a, "ns/b", as("203.0.113.0", "a"), as("2001:db8::", "a"))
	if v4, v6 := stats(a, "a"); v4.Assigned != "2" || v6.Assigned != "2" {
		t.Errorf("assigned = %s, %s; want 2, 2", v4.Assigned, v6.Assigned)
	}
}
