// Package election chooses the one node that answers ARP and NDP for a
// layer-2 LoadBalancer IP.
//
// Every speaker runs the same election on the same inputs (the IP and the
// live candidate nodes) and reaches the same answer, so no lock, lease or
// message between speakers is needed (DESIGN.md §4). The rule is rendezvous
// (highest-random-weight) hashing: each candidate gets a pseudo-random
// [Score] for the IP and the highest score owns it. Unlike "sort the nodes,
// take hash(ip) mod n", removing a node moves only the IPs it owned, and
// adding a node moves IPs only to the new node, so a membership change sends
// gratuitous ARP/NDP bursts for as few IPs as possible.
//
// Which nodes are candidates (alive in memberlist, selected by an
// L2Announcement, holding a local endpoint under externalTrafficPolicy Local)
// is the caller's decision; this package only ranks the names it is given.
//
// The score function is a contract between speakers: during a
// rolling upgrade, old and new speakers run side by side, and if they scored
// differently two of them could answer for the same IP. It must never change
// without a migration plan; TestScoreGolden pins it.
package election

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
)

// FNV-1a 64-bit parameters (draft-eastlake-fnv). The hash is written out
// rather than taken from hash/fnv so that an election hashes the IP once and
// resumes from that state for each candidate, with no hash.Hash value or
// []byte conversion to allocate: Owner runs for every IP on every recompute.
// The tests check it against hash/fnv.
const (
	fnvOffset64 = 0xcbf29ce484222325
	fnvPrime64  = 0x100000001b3
)

// Score is the rendezvous weight of node for ip. The node with the highest
// score among the candidates owns ip.
//
// Score is a stable function, equal on every process, platform and Go
// version (so not hash/maphash, which is seeded per process):
//
//	score = fmix64(FNV-1a-64(ip16 ‖ node))
//
// where ip16 is the 16-byte form of ip from [netip.Addr.As16], node is the
// bytes of the name, and fmix64 is the MurmurHash3 64-bit finalizer. The IP
// comes first so that an election hashes its 16 bytes once and then only each
// candidate's name; because ip16 has a fixed length the input needs no
// separator to be unambiguous. FNV-1a alone mixes its last bytes poorly
// (names like node1 and node2 differ only there, as do consecutive IPs), and
// the finalizer spreads every input bit over the whole result.
//
// As16 writes an IPv4 address in its IPv4-mapped IPv6 form, so 198.18.2.1 and
// ::ffff:198.18.2.1 score the same and elect the same owner: a Service status
// or a pool may spell the address either way. The zone of an IPv6 address is
// ignored. The zero Addr scores like ::; [Owner] and [Rank] refuse it.
func Score(node string, ip netip.Addr) uint64 {
	return nodeScore(ipState(ip), node)
}

// ipState is the FNV-1a state after the 16 bytes of ip.
func ipState(ip netip.Addr) uint64 {
	h := uint64(fnvOffset64)
	for _, b := range ip.As16() {
		h ^= uint64(b)
		h *= fnvPrime64
	}
	return h
}

// nodeScore continues the FNV-1a state h from [ipState] with the bytes of
// node and finalizes it.
func nodeScore(h uint64, node string) uint64 {
	for i := range len(node) {
		h ^= uint64(node[i])
		h *= fnvPrime64
	}
	return fmix64(h)
}

// fmix64 is the MurmurHash3 64-bit finalizer: a bijection in which every
// input bit flips each output bit with probability close to one half.
func fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

// order compares node a with score sa to node b with score sb: negative if a
// ranks first. Higher scores rank first. Equal scores for different names are
// a 2⁻⁶⁴ event, but the order must still be total, or two speakers that list
// the candidates differently could disagree; the smaller name ranks first.
// Owner and Rank both use it, so Rank[0] is always the Owner.
func order(sa uint64, a string, sb uint64, b string) int {
	if c := cmp.Compare(sb, sa); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// Owner returns the candidate that owns ip: the one with the highest [Score],
// the lexically smaller name on a tie. The order of candidates and any
// duplicates do not matter. Empty names are skipped: no Kubernetes node has
// one, and a zero-valued name that won an IP would black-hole its traffic.
// ok is false if ip is not valid or no candidate is left.
//
// Owner does not allocate.
func Owner(ip netip.Addr, candidates []string) (owner string, ok bool) {
	if !ip.IsValid() {
		return "", false
	}
	h := ipState(ip)
	var best uint64
	for _, node := range candidates {
		if node == "" {
			continue
		}
		if s := nodeScore(h, node); owner == "" || order(s, node, best, owner) < 0 {
			owner, best = node, s
		}
	}
	return owner, owner != ""
}

// Rank returns the unique non-empty candidates for ip, best first: Rank[0] is
// the [Owner], Rank[1] takes over if the owner leaves, and so on. It is for
// status and for a CLI that answers "who is next"; a speaker deciding what to
// announce needs only Owner. Rank returns nil if ip is not valid or no
// candidate is left.
func Rank(ip netip.Addr, candidates []string) []string {
	if !ip.IsValid() {
		return nil
	}
	type scored struct {
		node  string
		score uint64
	}
	h := ipState(ip)
	all := make([]scored, 0, len(candidates))
	for _, node := range candidates {
		if node != "" {
			all = append(all, scored{node, nodeScore(h, node)})
		}
	}
	if len(all) == 0 {
		return nil
	}
	slices.SortFunc(all, func(a, b scored) int { return order(a.score, a.node, b.score, b.node) })
	// Duplicates of a name have the same score, so sorting made them
	// neighbours.
	all = slices.CompactFunc(all, func(a, b scored) bool { return a.node == b.node })
	ranked := make([]string, len(all))
	for i, s := range all {
		ranked[i] = s.node
	}
	return ranked
}
