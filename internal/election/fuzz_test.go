package election_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ironlb/ironlb/internal/election"
)

// FuzzOwner takes an IP as raw bytes (4 or 16 make a valid one) and a
// comma-separated candidate list, which may hold empty and repeated names.
func FuzzOwner(f *testing.F) {
	f.Add([]byte{198, 51, 100, 200}, "node1,node2,node3")
	f.Add(netip.MustParseAddr("2001:db8:200::1").AsSlice(), "node3,,node1,node3")
	f.Add(netip.MustParseAddr("::ffff:198.18.2.1").AsSlice(), "a,b")
	f.Add([]byte{}, "node1")
	f.Add([]byte{1, 2, 3}, "")
	f.Fuzz(func(t *testing.T, raw []byte, list string) {
		ip, _ := netip.AddrFromSlice(raw)
		candidates := strings.Split(list, ",")
		var unique []string
		for _, c := range candidates {
			if c != "" && !slices.Contains(unique, c) {
				unique = append(unique, c)
			}
		}

		owner, ok := election.Owner(ip, candidates)
		if want := ip.IsValid() && len(unique) > 0; ok != want {
			t.Fatalf("Owner(%s, %q) ok = %v, want %v", ip, candidates, ok, want)
		}
		if !ok {
			if owner != "" {
				t.Fatalf("Owner(%s, %q) = %q with ok = false", ip, candidates, owner)
			}
			if r := election.Rank(ip, candidates); r != nil {
				t.Fatalf("Rank(%s, %q) = %q, want nil", ip, candidates, r)
			}
			return
		}
		if !slices.Contains(unique, owner) {
			t.Fatalf("Owner(%s, %q) = %q, not a candidate", ip, candidates, owner)
		}

		reordered := slices.Concat(candidates[len(candidates)/2:], candidates, candidates[:len(candidates)/2])
		slices.Reverse(reordered)
		if got, _ := election.Owner(ip, reordered); got != owner {
			t.Fatalf("Owner(%s) = %q for %q but %q for %q", ip, owner, candidates, got, reordered)
		}
		if got, _ := election.Owner(ip.Unmap(), candidates); got != owner {
			t.Fatalf("Owner(%s) = %q but Owner(%s) = %q", ip, owner, ip.Unmap(), got)
		}

		rank := election.Rank(ip, candidates)
		if rank[0] != owner {
			t.Fatalf("Rank(%s, %q)[0] = %q, Owner = %q", ip, candidates, rank[0], owner)
		}
		if diff := cmp.Diff(slices.Sorted(slices.Values(unique)), slices.Sorted(slices.Values(rank))); diff != "" {
			t.Fatalf("Rank(%s, %q) is not a permutation of the unique candidates (-want +got):\n%s", ip, candidates, diff)
		}
	})
}
