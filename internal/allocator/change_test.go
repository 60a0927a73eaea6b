package allocator_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/ironlb/ironlb/internal/allocator"
)

// TestAssignKeepsAddress: an address changes only when the request changes,
// not because a lower one became free.
func TestAssignKeepsAddress(t *testing.T) {
	a := newAllocator(t, pool("a", "203.0.113.0/30"))
	req := func(svc string) allocator.Request {
		return allocator.Request{Service: svc, Families: v4, Pools: []string{"a"}}
	}
	mustAssign(t, a, req("ns/a"))
	mustAssign(t, a, req("ns/b"))
	a.Release("ns/a")
	wantAssigned(t, a, "ns/a")
	for range 2 {
		mustAssign(t, a, req("ns/b"))
		wantAssigned(t, a, "ns/b", as("203.0.113.1", "a"))
	}
	// The released address is the lowest again, so the next Service gets it.
	mustAssign(t, a, req("ns/c"))
	wantAssigned(t, a, "ns/c", as("203.0.113.0", "a"))
}

// TestAssignRequestChanges assigns a first request, then a second one for the
// same Service, and checks what it holds and which addresses were freed.
func TestAssignRequestChanges(t *testing.T) {
	pools := []allocator.Pool{
		pool("a", "203.0.113.0/30", "2001:db8::/126"),
		pool("b", "198.51.100.0/30"),
	}
	tests := []struct {
		name    string
		before  []allocator.Request // other Services, assigned before first
		between []allocator.Request // other Services, assigned after first
		first   allocator.Request
		then    allocator.Request
		want    []allocator.Assignment
		freed   []string // addresses of first that nobody holds afterwards
	}{
		{
			name:  "same request keeps the address",
			first: allocator.Request{Service: "ns/a", Families: dual, Pools: []string{"a"}},
			then:  allocator.Request{Service: "ns/a", Families: dual, Pools: []string{"a"}},
			want:  []allocator.Assignment{as("203.0.113.0", "a"), as("2001:db8::", "a")},
		},
		{
			name:  "dropping a family releases its address",
			first: allocator.Request{Service: "ns/a", Families: dual, Pools: []string{"a"}},
			then:  allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			want:  []allocator.Assignment{as("203.0.113.0", "a")},
			freed: []string{"2001:db8::"},
		},
		{
			name:    "adding a family keeps the other",
			first:   allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			between: []allocator.Request{{Service: "ns/b", Families: dual, Pools: []string{"a"}}},
			then:    allocator.Request{Service: "ns/a", Families: v6v4, Pools: []string{"a"}},
			want:    []allocator.Assignment{as("2001:db8::1", "a"), as("203.0.113.0", "a")},
		},
		{
			name:  "another pool moves the address",
			first: allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			then:  allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"b"}},
			want:  []allocator.Assignment{as("198.51.100.0", "b")},
			freed: []string{"203.0.113.0"},
		},
		{
			name:  "a pool added after the current one keeps the address",
			first: allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			then:  allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"b", "a"}},
			want:  []allocator.Assignment{as("203.0.113.0", "a")},
		},
		{
			name:  "another explicit address moves it",
			first: allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("203.0.113.2"), Pools: []string{"a"}},
			then:  allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("203.0.113.3"), Pools: []string{"a"}},
			want:  []allocator.Assignment{as("203.0.113.3", "a")},
			freed: []string{"203.0.113.2"},
		},
		{
			name:  "dropping the explicit address keeps it",
			first: allocator.Request{Service: "ns/a", Families: v4, IPs: addrs("203.0.113.2"), Pools: []string{"a"}},
			then:  allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}},
			want:  []allocator.Assignment{as("203.0.113.2", "a")},
		},
		{
			name:   "a port that clashes with a co-owner moves it",
			before: []allocator.Request{{Service: "ns/b", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}}},
			first:  allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp443}},
			then:   allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}},
			want:   []allocator.Assignment{as("203.0.113.1", "a")},
		},
		{
			name:   "dropping the sharing key while sharing moves it",
			before: []allocator.Request{{Service: "ns/b", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}}},
			first:  allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp443}},
			then:   allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, Ports: []allocator.Port{tcp443}},
			want:   []allocator.Assignment{as("203.0.113.1", "a")},
		},
		{
			name:  "a Service alone may change its ports and keys in place",
			first: allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{tcp80}},
			then:  allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "other", Ports: []allocator.Port{tcp443}, TrafficKey: "Local/x"},
			want:  []allocator.Assignment{as("203.0.113.0", "a")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAllocator(t, pools...)
			for _, r := range tt.before {
				mustAssign(t, a, r)
			}
			mustAssign(t, a, tt.first)
			for _, r := range tt.between {
				mustAssign(t, a, r)
			}
			mustAssign(t, a, tt.then)
			wantAssigned(t, a, tt.then.Service, tt.want...)
			for _, ip := range tt.freed {
				if got := a.Owners(addr(ip)); got != nil {
					t.Errorf("Owners(%s) = %q, want it freed", ip, got)
				}
			}
		})
	}
}

// TestSharingKeyChangeInPlace: a Service alone on an address that changes its
// sharing key keeps the address, and it becomes shareable under the new key
// only.
func TestSharingKeyChangeInPlace(t *testing.T) {
	a := newAllocator(t, pool("a", "203.0.113.0/30"))
	mustAssign(t, a, allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k1", Ports: []allocator.Port{tcp80}})
	mustAssign(t, a, allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}, SharingKey: "k2", Ports: []allocator.Port{tcp80}})
	wantAssigned(t, a, "ns/a", as("203.0.113.0", "a"))
	mustAssign(t, a, allocator.Request{Service: "ns/old", Families: v4, Pools: []string{"a"}, SharingKey: "k1", Ports: []allocator.Port{tcp443}})
	wantAssigned(t, a, "ns/old", as("203.0.113.1", "a"))
	mustAssign(t, a, allocator.Request{Service: "ns/new", Families: v4, Pools: []string{"a"}, SharingKey: "k2", Ports: []allocator.Port{tcp443}})
	wantAssigned(t, a, "ns/new", as("203.0.113.0", "a"))
}

// TestAssignAtomic: a failed Assign leaves the Service with what it had, and
// that stays reserved.
func TestAssignAtomic(t *testing.T) {
	pools := []allocator.Pool{
		pool("a", "203.0.113.0/30", "2001:db8::/127"),
		pool("v4only", "198.51.100.0/30"),
		pool("full", "198.18.2.1"),
	}
	tests := []struct {
		name    string
		req     allocator.Request
		wantErr error
	}{
		{"second family has no pool", allocator.Request{Service: "ns/a", Families: dual, Pools: []string{"v4only"}}, allocator.ErrNoEligiblePool},
		{"second family explicit address in use", allocator.Request{Service: "ns/a", Families: dual, IPs: addrs("2001:db8::"), Pools: []string{"a"}}, allocator.ErrIPInUse},
		{"second family exhausted", allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"full"}}, allocator.ErrPoolExhausted},
		{"invalid", allocator.Request{Service: "ns/a", Families: nil, Pools: []string{"a"}}, allocator.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAllocator(t, pools...)
			mustAssign(t, a, allocator.Request{Service: "ns/full", Families: v4, Pools: []string{"full"}})
			mustAssign(t, a, allocator.Request{Service: "ns/b", Families: v6, Pools: []string{"a"}})
			mustAssign(t, a, allocator.Request{Service: "ns/a", Families: v4, Pools: []string{"a"}})
			if _, err := a.Assign(tt.req); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Assign() error = %v, want %v", err, tt.wantErr)
			}
			wantAssigned(t, a, "ns/a", as("203.0.113.0", "a"))
			// Still reserved: the next Service gets the next address.
			mustAssign(t, a, allocator.Request{Service: "ns/c", Families: v4, Pools: []string{"a"}})
			wantAssigned(t, a, "ns/c", as("203.0.113.1", "a"))
			if v4, _ := stats(a, "a"); v4.Assigned != "2" {
				t.Errorf("Stats(a) IPv4 assigned = %s, want 2", v4.Assigned)
			}
		})
	}
}

func TestRelease(t *testing.T) {
	a := newAllocator(t, pool("a", "203.0.113.0/30", "2001:db8::/64"))
	share := func(svc string, p allocator.Port) allocator.Request {
		return allocator.Request{Service: svc, Families: dual, Pools: []string{"a"}, SharingKey: "k", Ports: []allocator.Port{p}}
	}
	mustAssign(t, a, share("ns/b", tcp80))
	mustAssign(t, a, share("ns/a", tcp443))
	if got, want := a.Owners(addr("203.0.113.0")), []string{"ns/a", "ns/b"}; !slices.Equal(got, want) {
		t.Errorf("Owners() = %q, want %q", got, want)
	}

	a.Release("ns/b")
	checkInvariants(t, a)
	if got, want := a.Owners(addr("2001:db8::")), []string{"ns/a"}; !slices.Equal(got, want) {
		t.Errorf("after releasing one sharer, Owners() = %q, want %q", got, want)
	}
	a.Release("ns/a")
	a.Release("ns/a") // releasing twice is harmless
	a.Release("ns/never")
	checkInvariants(t, a)
	if got := a.Owners(addr("203.0.113.0")); got != nil {
		t.Errorf("after releasing all, Owners() = %q, want none", got)
	}
	v4, v6 := stats(a, "a")
	if v4.Assigned != "0" || v6.Assigned != "0" {
		t.Errorf("after releasing all, assigned = %s, %s; want 0, 0", v4.Assigned, v6.Assigned)
	}
	mustAssign(t, a, allocator.Request{Service: "ns/c", Families: dual, Pools: []string{"a"}})
	wantAssigned(t, a, "ns/c", as("203.0.113.0", "a"), as("2001:db8::", "a"))
}
