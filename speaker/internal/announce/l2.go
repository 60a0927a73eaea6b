package announce

import (
	"cmp"
	"net/netip"
	"path"
	"slices"

	"github.com/ironlb/ironlb/internal/election"
)

// L2Input is what the layer-2 plan depends on. Unlike BGP, where every
// eligible node advertises, one node owns each address, so every speaker
// needs the same view of all nodes and computes the same owners from it
// (DESIGN.md §4): the plan is cluster-wide, and Self only picks this node's
// share of it.
type L2Input struct {
	// Self is the name of the node the plan is for.
	Self     string
	Nodes    []L2Node
	Pools    []Pool
	Services []Service
	// Announcements are the valid L2Announcements, with node selectors
	// resolved to names.
	Announcements []L2Announcement
}

// L2Node is one node as the speakers see it.
type L2Node struct {
	Name string
	// Live is true when the node's speaker is alive: a member of the gossip
	// list, or Ready when gossip is turned off.
	Live bool
	// Excluded is true for nodes labelled
	// node.kubernetes.io/exclude-from-external-load-balancers.
	Excluded bool
	// Links are the names of the node's usable links (up, not loopback),
	// as its speaker published them; DefaultLinks are those of them that
	// an announcement without an interface list uses (the links carrying
	// the node's InternalIP subnet). LinksKnown is false when the node
	// published nothing (gossip off, or an older speaker): such a node is
	// assumed to have a usable link, and only it can tell which.
	Links, DefaultLinks []string
	LinksKnown          bool
}

// L2Announcement is an L2Announcement: the pools it announces, the nodes
// it selects (by name, resolved by the caller) and its interface patterns
// (names or path.Match globs; none means the node's default links).
type L2Announcement struct {
	Name       string
	Pools      []string
	Nodes      []string
	Interfaces []string
}

// L2Plan is the cluster-wide layer-2 plan.
type L2Plan struct {
	// IPs holds every address that some L2Announcement covers.
	IPs map[netip.Addr]L2Address
	// Owned are the addresses Self owns, with the links it answers on.
	Owned map[netip.Addr][]string
}

// L2Address is the outcome of the election for one address.
type L2Address struct {
	// Owner is the node that answers for the address; empty when no node
	// can, and Reason says why.
	Owner string
	// Interfaces are the owner's links that answer, sorted. They are known
	// only for the owner's own plan or when the owner published its links.
	Interfaces []string
	// Services using the address, sorted.
	Services []string
	Reason   Reason
}

// Reasons an L2 address has no owner, beyond the BGP ones.
const (
	ReasonNoLiveNode     Reason = "NoLiveNode"
	ReasonNoUsableLink   Reason = "NoUsableLink"
	ReasonNoSelectedNode Reason = "NoSelectedNode"
)

// ComputeL2 elects an owner for every address that an L2Announcement
// covers. A node is a candidate for an address when it is live, not
// excluded, selected by an announcement of the address's pool, has a
// usable link for it, and can serve one of the Services on the address
// (a ready or serving endpoint anywhere, or on the node itself for
// externalTrafficPolicy Local). A shared address is elected once, over the
// union of its Services, so it never has two owners.
func ComputeL2(in L2Input) L2Plan {
	p := L2Plan{IPs: map[netip.Addr]L2Address{}, Owned: map[netip.Addr][]string{}}
	if len(in.Announcements) == 0 {
		return p
	}
	pools := newPoolIndex(in.Pools)
	anns := slices.Clone(in.Announcements)
	slices.SortFunc(anns, func(a, b L2Announcement) int { return cmp.Compare(a.Name, b.Name) })
	nodes := slices.Clone(in.Nodes)
	slices.SortFunc(nodes, func(a, b L2Node) int { return cmp.Compare(a.Name, b.Name) })

	byIP := map[netip.Addr][]*Service{}
	for i := range in.Services {
		s := &in.Services[i]
		for _, ip := range s.IPs {
			byIP[ip] = append(byIP[ip], s)
		}
	}
	links := map[linkKey][]string{}
	for ip, svcs := range byIP {
		pool, ok := pools.lookup(ip)
		if !ok {
			continue
		}
		var mine []*L2Announcement
		for i := range anns {
			if slices.Contains(anns[i].Pools, pool) {
				mine = append(mine, &anns[i])
			}
		}
		if len(mine) == 0 {
			continue
		}
		addr := L2Address{}
		for _, s := range svcs {
			addr.Services = append(addr.Services, s.Key)
		}
		slices.Sort(addr.Services)
		addr.Services = slices.Compact(addr.Services)

		var cands []string
		reason := Reason("")
		worse := func(r Reason) {
			if reason == "" || l2Stage(r) > l2Stage(reason) {
				reason = r
			}
		}
		for i := range nodes {
			n := &nodes[i]
			r := l2Eligible(n, svcs)
			if r == ReasonAdvertised {
				ifs := nodeLinks(n, mine, links)
				switch {
				case ifs == nil:
					r = ReasonNoSelectedNode
				case n.LinksKnown && len(ifs) == 0:
					r = ReasonNoUsableLink
				}
			}
			if r != ReasonAdvertised {
				worse(r)
				continue
			}
			cands = append(cands, n.Name)
		}
		owner, ok := election.Owner(ip, cands)
		if !ok {
			addr.Reason = reason
			p.IPs[ip] = addr
			continue
		}
		addr.Owner = owner
		if ifs := links[linkKey{node: owner, anns: annKey(mine)}]; len(ifs) > 0 {
			addr.Interfaces = ifs
		}
		p.IPs[ip] = addr
		if owner == in.Self && len(addr.Interfaces) > 0 {
			p.Owned[ip] = addr.Interfaces
		}
	}
	return p
}

// l2Stage orders the reasons by how far a node got, so that the reason
// reported for an address without owner is the most specific one.
func l2Stage(r Reason) int {
	return slices.Index([]Reason{ReasonNoLiveNode, ReasonNodeExcluded, ReasonNoEndpoints, ReasonNoLocalEndpoint, ReasonNoSelectedNode, ReasonNoUsableLink}, r)
}

// l2Eligible says whether node n may own an address used by svcs.
func l2Eligible(n *L2Node, svcs []*Service) Reason {
	if !n.Live {
		return ReasonNoLiveNode
	}
	if n.Excluded {
		return ReasonNodeExcluded
	}
	reason := ReasonNoEndpoints
	for _, s := range svcs {
		r := eligible(Node{Name: n.Name}, *s)
		if r == ReasonAdvertised {
			return r
		}
		if r == ReasonNoLocalEndpoint {
			reason = r
		}
	}
	return reason
}

type linkKey struct {
	node string
	anns string
}

func annKey(anns []*L2Announcement) string {
	k := ""
	for _, a := range anns {
		k += a.Name + "\x00"
	}
	return k
}

// nodeLinks returns the links of n that the announcements select for it:
// nil when no announcement selects the node, empty when they do but none
// of its links fit. Results are memoised per node and announcement set,
// since many addresses share both.
func nodeLinks(n *L2Node, anns []*L2Announcement, memo map[linkKey][]string) []string {
	k := linkKey{node: n.Name, anns: annKey(anns)}
	if ifs, ok := memo[k]; ok {
		return ifs
	}
	var ifs []string
	for _, a := range anns {
		if !slices.Contains(a.Nodes, n.Name) {
			continue
		}
		if ifs == nil {
			ifs = []string{}
		}
		if !n.LinksKnown {
			continue // a candidate, but only the node knows its links
		}
		if len(a.Interfaces) == 0 {
			ifs = append(ifs, n.DefaultLinks...)
			continue
		}
		for _, l := range n.Links {
			if matchAny(a.Interfaces, l) {
				ifs = append(ifs, l)
			}
		}
	}
	if ifs != nil {
		slices.Sort(ifs)
		ifs = slices.Compact(ifs)
	}
	memo[k] = ifs
	return ifs
}

// matchAny reports whether name matches one of the patterns (names or
// path.Match globs; a malformed glob matches nothing, and the parser has
// refused it already).
func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}
