package announce

import (
	"net/netip"
	"slices"
)

// poolIndex finds the pool of an address by binary search over the ranges
// of every pool, sorted by first address.
type poolIndex []poolRange

type poolRange struct {
	Range
	pool string
}

func newPoolIndex(pools []Pool) poolIndex {
	var idx poolIndex
	for _, p := range pools {
		for _, r := range p.Ranges {
			if r.First.IsValid() && r.Last.IsValid() && r.First.Compare(r.Last) <= 0 {
				idx = append(idx, poolRange{Range: r, pool: p.Name})
			}
		}
	}
	slices.SortFunc(idx, func(a, b poolRange) int { return a.First.Compare(b.First) })
	return idx
}

// lookup returns the pool holding ip. Overlapping pools are refused by the
// config parser; should two overlap all the same, the one whose range starts
// last at or before ip wins, which is deterministic.
func (idx poolIndex) lookup(ip netip.Addr) (string, bool) {
	// The first range that starts after ip; the candidate is the one before.
	i, _ := slices.BinarySearchFunc(idx, ip, func(r poolRange, ip netip.Addr) int {
		if r.First.Compare(ip) <= 0 {
			return -1
		}
		return 1
	})
	for j := i - 1; j >= 0; j-- {
		r := idx[j]
		if r.Last.Compare(ip) >= 0 {
			return r.pool, true
		}
		if r.First.BitLen() != ip.BitLen() {
			break
		}
		// A wider range that starts earlier may still hold ip; ranges are
		// few, so walking back is cheap.
	}
	return "", false
}
