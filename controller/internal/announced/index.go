package announced

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/config"
)

// index answers "who announces this address?" from every node's
// SpeakerStatus. BGP addresses are kept as the sorted ranges each node
// reports per peer, so 10,000 consecutive addresses cost one range, not
// 10,000 map entries; layer-2 addresses have one owner each.
type index struct {
	bgp []session
	l2  map[netip.Addr]owner
}

type session struct {
	node, peer string
	ranges     []config.Range // sorted by First
}

type owner struct {
	node       string
	interfaces []string
}

func newIndex(spks []ironlbv1.SpeakerStatus) *index {
	idx := &index{l2: map[netip.Addr]owner{}}
	for i := range spks {
		st := &spks[i].Status
		for _, s := range st.Sessions {
			if s.State != ironlbv1.BGPStateEstablished || len(s.Advertised) == 0 {
				continue
			}
			ses := session{node: spks[i].Name, peer: s.Peer}
			for _, a := range s.Advertised {
				// A range the speaker wrote and we cannot read is skipped:
				// the Service then reads as not announced by that node,
				// which is the safe side.
				if r, err := config.ParseAddressRange(a); err == nil {
					ses.ranges = append(ses.ranges, r)
				}
			}
			slices.SortFunc(ses.ranges, func(a, b config.Range) int { return a.First.Compare(b.First) })
			idx.bgp = append(idx.bgp, ses)
		}
		for _, o := range st.L2 {
			ip, err := netip.ParseAddr(o.IP)
			if err != nil {
				continue
			}
			// Two owners can only be seen for a moment during a handover;
			// the name that sorts first is reported, deterministically.
			if cur, dup := idx.l2[ip]; dup && cur.node < spks[i].Name {
				continue
			}
			idx.l2[ip] = owner{node: spks[i].Name, interfaces: slices.Sorted(slices.Values(o.Interfaces))}
		}
	}
	slices.SortFunc(idx.bgp, func(a, b session) int { return cmp.Or(cmp.Compare(a.node, b.node), cmp.Compare(a.peer, b.peer)) })
	return idx
}

// contains reports whether the sorted ranges hold ip.
func contains(ranges []config.Range, ip netip.Addr) bool {
	i, _ := slices.BinarySearchFunc(ranges, ip, func(r config.Range, ip netip.Addr) int {
		if r.First.Compare(ip) <= 0 {
			return -1
		}
		return 1
	})
	return i > 0 && ranges[i-1].Contains(ip)
}

// describe says who announces ip, or "" when nobody does:
// "203.0.113.7 advertised by node1, node2 to router, router2" and/or
// "198.51.100.200 answered by node2 on eth0".
func (idx *index) describe(ip netip.Addr) string {
	var nodes, peers []string
	for _, s := range idx.bgp {
		if contains(s.ranges, ip) {
			nodes = append(nodes, s.node)
			peers = append(peers, s.peer)
		}
	}
	var parts []string
	if len(nodes) > 0 {
		parts = append(parts, fmt.Sprintf("%s advertised by %s to %s", ip, list(nodes), list(peers)))
	}
	if o, ok := idx.l2[ip]; ok {
		on := ""
		if len(o.interfaces) > 0 {
			on = " on " + strings.Join(o.interfaces, ", ")
		}
		parts = append(parts, fmt.Sprintf("%s answered by %s%s", ip, o.node, on))
	}
	return strings.Join(parts, "; ")
}

// list is the sorted, unique names, comma-separated.
func list(names []string) string {
	slices.Sort(names)
	return strings.Join(slices.Compact(names), ", ")
}
