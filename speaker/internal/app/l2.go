package app

import (
	"encoding/json"
	"maps"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/config"
	"github.com/ironlb/ironlb/speaker/internal/announce"
	"github.com/ironlb/ironlb/speaker/internal/layer2"
	"github.com/ironlb/ironlb/speaker/internal/members"
)

// Layer2 is what the runner needs of the ARP/NDP announcer.
type Layer2 interface {
	Apply(owned map[netip.Addr][]string)
	Stats() layer2.Stats
}

// Liveness is what the runner needs of the member list: who is alive, and
// a way to publish this node's links and learn of the others.
type Liveness interface {
	// Alive holds this node only while it may trust its own view (it was
	// not frozen or declared dead since it last resynced).
	Alive() map[string]members.Member
	SetPeers(addrs []netip.AddrPort)
	SetMeta(meta []byte) error
	// Distrust withdraws this node from Alive until it has resynced.
	Distrust(reason string)
}

// LinkSource lists the node's network links.
type LinkSource interface {
	Links() []layer2.Link
}

// linkMeta is what a speaker gossips about itself: the links other
// speakers need to know of to tell whether it can answer for an address.
// Short keys, since memberlist allows 512 bytes.
type linkMeta struct {
	Links   []string `json:"l,omitempty"`
	Default []string `json:"d,omitempty"`
}

// localLinks returns this node's usable links and the default ones (those
// carrying one of the node's InternalIP subnets).
func localLinks(links []layer2.Link, internal []netip.Addr) linkMeta {
	var m linkMeta
	var subnets []netip.Prefix
	for _, l := range links {
		if l.Up && !l.Loopback {
			m.Links = append(m.Links, l.Name)
		}
		for _, p := range l.Prefixes {
			if slices.ContainsFunc(internal, p.Contains) {
				subnets = append(subnets, p.Masked())
			}
		}
	}
	slices.Sort(m.Links)
	m.Default = layer2.Select(links, nil, subnets)
	return m
}

// l2Input builds the layer-2 planner's input: every Node, alive by the
// member list (or, without one, by its Ready condition), with the links its
// speaker published.
func (r *runner) l2Input(in *inputs) (announce.L2Input, []byte) {
	l2 := announce.L2Input{Self: r.opts.NodeName, Pools: in.plan.Pools, Services: in.plan.Services}
	if len(in.cfg.L2Announcements) == 0 {
		return l2, nil
	}
	var self *corev1.Node
	for i := range in.nodes {
		if in.nodes[i].Name == r.opts.NodeName {
			self = &in.nodes[i]
		}
	}
	var mine linkMeta
	if r.links != nil && self != nil {
		mine = localLinks(r.links.Links(), internalIPs(self))
	}
	meta, _ := json.Marshal(mine)

	live, _ := r.liveness()
	var alive map[string]members.Member
	if live != nil {
		alive = live.Alive()
	}
	for i := range in.nodes {
		n := &in.nodes[i]
		ln := announce.L2Node{Name: n.Name, Excluded: hasLabel(n, v1alpha1.LabelExcludeFromExternalLB)}
		switch {
		case !r.memberlist:
			ln.Live = nodeReady(n)
		case live == nil:
			// Not joined yet: answering now could make two answerers.
		default:
			m, ok := alive[n.Name]
			ln.Live = ok
			var lm linkMeta
			if ok && n.Name != r.opts.NodeName && json.Unmarshal(m.Meta, &lm) == nil && len(lm.Links) > 0 {
				ln.Links, ln.DefaultLinks, ln.LinksKnown = lm.Links, lm.Default, true
			}
		}
		if n.Name == r.opts.NodeName && r.links != nil {
			ln.Links, ln.DefaultLinks, ln.LinksKnown = mine.Links, mine.Default, true
		}
		l2.Nodes = append(l2.Nodes, ln)
	}
	for _, a := range in.cfg.L2Announcements {
		la := announce.L2Announcement{Name: a.Name, Pools: a.Pools, Interfaces: a.Interfaces}
		for i := range in.nodes {
			if a.SelectsNode(in.nodes[i].Labels) {
				la.Nodes = append(la.Nodes, in.nodes[i].Name)
			}
		}
		l2.Announcements = append(l2.Announcements, la)
	}
	return l2, meta
}

// memberPeers are the member-list addresses of the other nodes: their first
// InternalIP of the bind address's family.
func memberPeers(nodes []corev1.Node, self string, bind netip.Addr, port int) []netip.AddrPort {
	var out []netip.AddrPort
	for i := range nodes {
		if nodes[i].Name == self {
			continue
		}
		for _, ip := range internalIPs(&nodes[i]) {
			if ip.Is4() == bind.Is4() {
				out = append(out, netip.AddrPortFrom(ip, uint16(port)))
				break
			}
		}
	}
	return out
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// l2Status is the L2 part of the SpeakerStatus: the addresses this node
// answers for.
func l2Status(p announce.L2Plan) []v1alpha1.L2Owned {
	out := make([]v1alpha1.L2Owned, 0, len(p.Owned))
	for _, ip := range slices.SortedFunc(maps.Keys(p.Owned), netip.Addr.Compare) {
		out = append(out, v1alpha1.L2Owned{IP: ip.String(), Services: p.IPs[ip].Services, Interfaces: p.Owned[ip]})
	}
	return out
}

// usedByLayer2 reports whether link l can carry layer-2 answers or the
// member list: it holds an address in a subnet of the node's InternalIPs,
// or an L2Announcement names it.
func usedByLayer2(l layer2.Link, internal []netip.Addr, anns []*config.L2Announcement) bool {
	if carriesInternal(l, internal) {
		return true
	}
	for _, a := range anns {
		if len(a.Interfaces) > 0 && len(layer2.Select([]layer2.Link{{Name: l.Name, Up: true}}, a.Interfaces, nil)) > 0 {
			return true
		}
	}
	return false
}

// carriesInternal reports whether one of l's addresses lies in the subnet
// of one of the node's InternalIPs.
func carriesInternal(l layer2.Link, internal []netip.Addr) bool {
	for _, p := range l.Prefixes {
		if slices.ContainsFunc(internal, p.Contains) {
			return true
		}
	}
	return false
}
