package election_test

import (
	"fmt"
	"testing"

	"github.com/ironlb/ironlb/internal/election"
)

// One op is a full recompute: the owner of 1,000 IPs among 50 nodes, with
// short names and with cloud-style host names (the cost per candidate grows
// with the length of its name).
func BenchmarkOwner(b *testing.B) {
	ips := serviceIPs()
	long := make([]string, 50)
	for i := range long {
		long[i] = fmt.Sprintf("ip-10-0-%d-%d.eu-west-1.compute.internal", i/8, i)
	}
	for _, bc := range []struct {
		name  string
		nodes []string
	}{
		{"names=short", fleet(50)},
		{"names=long", long},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, ip := range ips {
					election.Owner(ip, bc.nodes)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ips)), "ns/IP")
		})
	}
}

func BenchmarkRank(b *testing.B) {
	ips := serviceIPs()
	nodes := fleet(50)
	b.ReportAllocs()
	for b.Loop() {
		for _, ip := range ips {
			election.Rank(ip, nodes)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ips)), "ns/IP")
}

func TestOwnerDoesNotAllocate(t *testing.T) {
	ips := serviceIPs()
	nodes := fleet(50)
	if n := testing.AllocsPerRun(10, func() {
		for _, ip := range ips {
			election.Owner(ip, nodes)
		}
	}); n != 0 {
		t.Errorf("Owner allocates %.0f times per 1,000 IPs, want 0", n)
	}
}
