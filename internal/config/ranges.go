package config

import (
	"net/netip"
	"slices"
)

// Cover returns the fewest ranges that hold exactly addrs (duplicates and
// zones ignored), sorted, IPv4 first. Statuses list addresses this way, so
// that a node advertising 10,000 consecutive addresses reports one range
// instead of 10,000 strings.
func Cover(addrs []netip.Addr) []Range {
	if len(addrs) == 0 {
		return nil
	}
	sorted := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if a.IsValid() {
			sorted = append(sorted, a.WithZone(""))
		}
	}
	slices.SortFunc(sorted, netip.Addr.Compare)
	sorted = slices.Compact(sorted)
	var out []Range
	for _, a := range sorted {
		if n := len(out); n > 0 && out[n-1].Last.Next() == a {
			out[n-1].Last = a
			continue
		}
		out = append(out, Range{First: a, Last: a})
	}
	return out
}
