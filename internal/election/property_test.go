package election_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ironlb/ironlb/internal/election"
)

// fleet returns n node names as a cluster names them: same prefix, differing
// only in the last characters, which is the hardest case for a weak hash.
func fleet(n int) []string {
	nodes := make([]string, n)
	for i := range nodes {
		nodes[i] = fmt.Sprintf("node%d", i+1)
	}
	return nodes
}

// serviceIPs returns 1,000 addresses as pools hand them out: consecutive,
// lowest first, from an IPv4 /24, an IPv4 /15 (crossing a /24 boundary) and
// an IPv6 /64.
func serviceIPs() []netip.Addr {
	var ips []netip.Addr
	add := func(first string, n int) {
		ip := netip.MustParseAddr(first)
		for range n {
			ips = append(ips, ip)
			ip = ip.Next()
		}
	}
	add("203.0.113.0", 256)
	add("198.18.0.0", 372)
	add("2001:db8::", 372)
	return ips
}

// shuffled returns a random permutation of nodes with some names repeated.
func shuffled(r *rand.Rand, nodes []string) []string {
	out := slices.Clone(nodes)
	for range r.IntN(len(nodes) + 1) {
		out = append(out, nodes[r.IntN(len(nodes))])
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// randomNames returns n distinct names, some prefixes of others and some
// differing in one byte, so order independence is tested beyond nodeN.
func randomNames(r *rand.Rand, n int) []string {
	seen := map[string]bool{}
	var names []string
	for len(names) < n {
		b := make([]byte, 1+r.IntN(12))
		for i := range b {
			b[i] = "ab-.0z"[r.IntN(6)]
		}
		if s := string(b); !seen[s] {
			seen[s] = true
			names = append(names, s)
		}
	}
	return names
}

// Speakers list members in whatever order memberlist gives them, sometimes
// with a node twice (a rejoin): the owner must not depend on it.
func TestOwnerIgnoresOrderAndDuplicates(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ips := serviceIPs()
	for trial := range 200 {
		nodes := randomNames(r, 1+r.IntN(20))
		if trial%2 == 0 {
			nodes = fleet(1 + r.IntN(20))
		}
		ip := ips[r.IntN(len(ips))]
		want, ok := election.Owner(ip, nodes)
		if !ok {
			t.Fatalf("Owner(%s, %q): no owner", ip, nodes)
		}
		for range 10 {
			c := shuffled(r, nodes)
			if got, _ := election.Owner(ip, c); got != want {
				t.Fatalf("Owner(%s, %q) = %q, but Owner(%s, %q) = %q", ip, nodes, want, ip, c, got)
			}
			if diff := cmp.Diff(election.Rank(ip, nodes), election.Rank(ip, c)); diff != "" {
				t.Fatalf("Rank(%s) differs between %q and %q (-first +second):\n%s", ip, nodes, c, diff)
			}
		}
	}
}

// Rank[0] is the Owner, and Rank lists each candidate exactly once.
func TestRankAgreesWithOwner(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, ip := range serviceIPs() {
		nodes := fleet(1 + r.IntN(8))
		c := shuffled(r, nodes)
		rank := election.Rank(ip, c)
		owner, _ := election.Owner(ip, c)
		if rank[0] != owner {
			t.Fatalf("Rank(%s, %q)[0] = %q, Owner = %q", ip, c, rank[0], owner)
		}
		if diff := cmp.Diff(nodes, slices.Sorted(slices.Values(rank))); diff != "" {
			t.Fatalf("Rank(%s, %q) is not a permutation of the unique candidates (-want +got):\n%s", ip, c, diff)
		}
		// Rank[i] owns the IP once Rank[:i] are gone: the "who is next" a
		// status or CLI shows is what failover will do.
		for i := range rank {
			if got, _ := election.Owner(ip, rank[i:]); got != rank[i] {
				t.Fatalf("Owner(%s, %q) = %q, want %q", ip, rank[i:], got, rank[i])
			}
		}
	}
}

// Minimal disruption is why the election is rendezvous hashing: a node that
// leaves gives up only its own IPs, and a node that joins takes IPs only for
// itself. Every other IP keeps its owner, so nobody sends gratuitous ARP for
// it and no neighbour cache is disturbed.
func TestMembershipChangeMovesOnlyAffectedIPs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ips := serviceIPs()
	for range 30 {
		all := fleet(2 + r.IntN(30))
		gone := all[r.IntN(len(all))]
		rest := slices.DeleteFunc(slices.Clone(all), func(n string) bool { return n == gone })
		var moved int
		for _, ip := range ips {
			before, _ := election.Owner(ip, all)
			after, _ := election.Owner(ip, rest)
			// Read forwards it is a leave, backwards a join.
			if before != gone && after != before {
				t.Fatalf("%s left, yet %s moved from %s to %s", gone, ip, before, after)
			}
			if before == gone {
				moved++
			}
		}
		if moved == 0 {
			t.Errorf("%s owned none of %d IPs among %d nodes", gone, len(ips), len(all))
		}
	}
}

// Spread checks that owners are fair, for consecutive pool addresses and
// similar node names. Under an ideal random assignment each node's count of
// n IPs over k nodes is Binomial(n, 1/k); the bounds below fail such an
// assignment with probability about 0.2% each (computed from the exact
// binomial tails, and the chi-square critical values at p = 0.001). The test
// is deterministic, so "probability" only says how loose the bounds are:
// a good hash passes with margin, and a weak one (for example summing the
// bytes, or FNV-1a without the finalizer) fails.
func TestSpread(t *testing.T) {
	tests := []struct {
		nodes int
		// Allowed count per node, as fractions of the fair share n/k.
		min, max float64
		// Chi-square critical value for k-1 degrees of freedom at p = 0.001.
		chi2 float64
	}{
		// 1000/3 = 333.3, σ = 14.9: ±15% = ±50 IPs = ±3.4σ.
		{nodes: 3, min: 0.85, max: 1.15, chi2: 13.82},
		// 1000/50 = 20, σ = 4.4: 5 to 40 IPs, P(≤ 5 or ≥ 41) = 3.5e-5 per node.
		{nodes: 50, min: 0.25, max: 2, chi2: 85.35},
	}
	ips := serviceIPs()
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.nodes, " nodes"), func(t *testing.T) {
			nodes := fleet(tt.nodes)
			count := map[string]int{}
			for _, ip := range ips {
				owner, _ := election.Owner(ip, nodes)
				count[owner]++
			}
			fair := float64(len(ips)) / float64(len(nodes))
			lo, hi := len(ips), 0
			var chi2 float64
			for _, n := range nodes {
				c := count[n]
				lo, hi = min(lo, c), max(hi, c)
				d := float64(c) - fair
				chi2 += d * d / fair
			}
			t.Logf("%d IPs over %d nodes: fair share %.1f, min %d, max %d, chi-square %.1f (limit %.2f)",
				len(ips), len(nodes), fair, lo, hi, chi2, tt.chi2)
			if float64(lo) < tt.min*fair || float64(hi) > tt.max*fair {
				t.Errorf("shares range from %d to %d, want within [%.0f, %.0f]", lo, hi, tt.min*fair, tt.max*fair)
			}
			if chi2 > tt.chi2 {
				t.Errorf("chi-square %.1f > %.2f: owners are not spread evenly", chi2, tt.chi2)
			}
		})
	}
}

// When a node fails, its IPs must spread over the survivors too, or one
// neighbour of every failed node would take double load. Of the roughly 333
// IPs the first of 3 nodes owns, each survivor must take 50% ± 15 points
// (σ is 2.7 points, so this only catches a systematic bias).
func TestTakeoverSpread(t *testing.T) {
	nodes := fleet(3)
	count := map[string]int{}
	var orphans int
	for _, ip := range serviceIPs() {
		if rank := election.Rank(ip, nodes); rank[0] == nodes[0] {
			count[rank[1]]++
			orphans++
		}
	}
	t.Logf("%s owned %d IPs; taken over: %v", nodes[0], orphans, count)
	if orphans == 0 {
		t.Fatalf("%s owned none of the IPs", nodes[0])
	}
	for _, n := range nodes[1:] {
		if share := float64(count[n]) / float64(orphans); share < 0.35 || share > 0.65 {
			t.Errorf("%s takes over %d of %d IPs (%.0f%%), want 35%% to 65%%", n, count[n], orphans, 100*share)
		}
	}
}
