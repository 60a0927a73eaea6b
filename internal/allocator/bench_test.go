package allocator_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/ironlb/ironlb/internal/allocator"
)

// benchPool is large enough for every benchmark: 131072 IPv4 addresses and
// a /64.
var benchPool = allocator.Pool{
	Name: "bench",
	Ranges: []allocator.Range{
		allocator.PrefixRange(netip.MustParsePrefix("198.18.0.0/15")),
		allocator.PrefixRange(netip.MustParsePrefix("2001:db8::/64")),
	},
}

// benchAllocator returns an allocator with n Services holding an address of
// each family in families, and their names.
func benchAllocator(b *testing.B, n int, families []allocator.Family) (*allocator.Allocator, []string) {
	b.Helper()
	a := allocator.New()
	if err := a.SetPools([]allocator.Pool{benchPool}); err != nil {
		b.Fatal(err)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("bench/svc-%d", i)
		req := allocator.Request{Service: names[i], Families: families, Pools: []string{"bench"}, Ports: []allocator.Port{tcp80}}
		if _, err := a.Assign(req); err != nil {
			b.Fatal(err)
		}
	}
	return a, names
}

// BenchmarkAssignRelease assigns one new Service and releases it, with
// inuse addresses already held. Every op is one Assign plus one Release.
func BenchmarkAssignRelease(b *testing.B) {
	for _, tt := range []struct {
		name     string
		families []allocator.Family
	}{{"", v4}, {"/dual", dual}} {
		for _, inuse := range []int{10_000, 100_000} {
			b.Run(fmt.Sprintf("inuse=%d%s", inuse, tt.name), func(b *testing.B) {
				a, _ := benchAllocator(b, inuse, tt.families)
				req := allocator.Request{Service: "bench/new", Families: tt.families, Pools: []string{"bench"}, Ports: []allocator.Port{tcp80}}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := a.Assign(req); err != nil {
						b.Fatal(err)
					}
					a.Release(req.Service)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			})
		}
	}
}

// BenchmarkChurn works on a pool with a hole for every fourth address in
// use, so that the free ranges are many and scattered (an automatic
// assignment always fills the lowest hole, so holes would otherwise drift
// to the end of the pool and merge):
//
//   - named: release a random Service and assign it again, naming a random
//     free address, so the holes stay random;
//   - auto: assign a new Service (the lowest hole) and release it.
func BenchmarkChurn(b *testing.B) {
	for _, inuse := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("inuse=%d", inuse), func(b *testing.B) {
			a, names := benchAllocator(b, inuse+inuse/4, v4)
			r := rand.New(rand.NewPCG(7, 8))
			r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
			holes := make([]netip.Addr, 0, inuse/4)
			for _, name := range names[inuse:] {
				holes = append(holes, a.Assigned(name)[0].IP)
				a.Release(name)
			}
			names = names[:inuse]
			ips := make([]netip.Addr, inuse)
			for i, name := range names {
				ips[i] = a.Assigned(name)[0].IP
			}
			req := allocator.Request{Families: v4, Pools: []string{"bench"}, Ports: []allocator.Port{tcp80}, IPs: make([]netip.Addr, 1)}

			b.Run("named", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					i, j := r.IntN(len(names)), r.IntN(len(holes))
					req.Service, req.IPs[0] = names[i], holes[j]
					a.Release(req.Service)
					if _, err := a.Assign(req); err != nil {
						b.Fatal(err)
					}
					ips[i], holes[j] = holes[j], ips[i]
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			})
			b.Run("auto", func(b *testing.B) {
				req := allocator.Request{Service: "bench/new", Families: v4, Pools: []string{"bench"}, Ports: []allocator.Port{tcp80}}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := a.Assign(req); err != nil {
						b.Fatal(err)
					}
					a.Release(req.Service)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			})
		})
	}
}
