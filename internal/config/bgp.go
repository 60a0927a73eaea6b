package config

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/ironlb/ironlb/api/v1alpha1"
)

// BGPAnnouncement is a valid BGPAnnouncement: which pools' addresses are
// advertised to which peers from which nodes, with which attributes.
type BGPAnnouncement struct {
	Name string
	// Pools are the names of the valid pools advertised, sorted (resolved as
	// for an L2Announcement), minus those the aggregation lengths do not fit.
	Pools []string
	// Peers are the names of the valid peers that get the routes, sorted:
	// those listed in spec.peers that are valid, or those spec.peerSelector
	// matches, or every valid peer when the spec names neither.
	Peers []string
	// NodeSelector limits the nodes that advertise; nil means every node.
	NodeSelector labels.Selector
	// AggregationLength (default 32) and AggregationLengthV6 (default 128)
	// are the prefix lengths advertised for IPv4 and IPv6 addresses.
	AggregationLength   int
	AggregationLengthV6 int
	// LocalPref is the LOCAL_PREF attribute for iBGP sessions; nil when
	// unset.
	LocalPref *uint32
	// Communities in the order of the spec, without duplicates (a name and
	// its numeric spelling are one community).
	Communities []Community
}

// SelectsPool reports whether the announcement advertises the named pool.
func (a *BGPAnnouncement) SelectsPool(name string) bool { return contains(a.Pools, name) }

// SelectsPeer reports whether the announcement sends routes to the named
// peer.
func (a *BGPAnnouncement) SelectsPeer(name string) bool { return contains(a.Peers, name) }

// SelectsNode reports whether a node with these labels advertises.
func (a *BGPAnnouncement) SelectsNode(nodeLabels map[string]string) bool {
	return matches(a.NodeSelector, nodeLabels)
}

func (p *parser) parseBGPAnnouncements() {
	objs := slices.Clone(p.in.BGPAnnouncements)
	slices.SortFunc(objs, func(a, b v1alpha1.BGPAnnouncement) int { return cmp.Compare(a.Name, b.Name) })
	for i := range objs {
		o := p.object(KindBGPAnnouncement, objs[i].Name)
		a := p.parseBGPAnnouncement(o, &objs[i])
		if o.invalid {
			continue
		}
		p.checkLocalPref(o, a)
		a.Pools = slices.DeleteFunc(a.Pools, func(pool string) bool { return !p.fitsAggregation(o, a, pool) })
		p.cfg.BGPAnnouncements = append(p.cfg.BGPAnnouncements, a)
	}
}

func (p *parser) parseBGPAnnouncement(o *problems, obj *v1alpha1.BGPAnnouncement) *BGPAnnouncement {
	spec := &obj.Spec
	a := &BGPAnnouncement{Name: obj.Name, AggregationLength: 32, AggregationLengthV6: 128}
	if len(spec.IPPools) > 0 && spec.IPPoolSelector != nil {
		o.invalidf("spec", "set ipPools or ipPoolSelector, not both")
	}
	if len(spec.Peers) > 0 && spec.PeerSelector != nil {
		o.invalidf("spec", "set peers or peerSelector, not both")
	}
	a.Pools = p.resolve(o, &p.pools, "spec.ipPools", spec.IPPools, "spec.ipPoolSelector", spec.IPPoolSelector)
	a.Peers = p.resolve(o, &p.peers, "spec.peers", spec.Peers, "spec.peerSelector", spec.PeerSelector)
	a.NodeSelector, _ = selector(o, "spec.nodeSelector", spec.NodeSelector)
	if l := spec.AggregationLength; l != nil {
		if *l < 1 || *l > 32 {
			o.invalidf("spec.aggregationLength", "%d must be between 1 and 32", *l)
		}
		a.AggregationLength = int(*l)
	}
	if l := spec.AggregationLengthV6; l != nil {
		if *l < 1 || *l > 128 {
			o.invalidf("spec.aggregationLengthV6", "%d must be between 1 and 128", *l)
		}
		a.AggregationLengthV6 = int(*l)
	}
	if lp := spec.LocalPref; lp != nil {
		if *lp < 0 || *lp > 4294967295 {
			o.invalidf("spec.localPref", "%d must be between 0 and 4294967295", *lp)
		}
		v := uint32(*lp)
		a.LocalPref = &v
	}
	// A community that does not parse makes the whole announcement invalid:
	// advertising without it could leak routes it was meant to keep in
	// (no-export) or drop a blackhole request.
	for i, s := range spec.Communities {
		c, err := ParseCommunity(string(s))
		if err != nil {
			o.invalidf(fmt.Sprintf("spec.communities[%d]", i), "%v", err)
			continue
		}
		if !slices.Contains(a.Communities, c) {
			a.Communities = append(a.Communities, c)
		}
	}
	return a
}

// checkLocalPref reports a localPref that no selected peer would receive:
// LOCAL_PREF is sent to internal peers only (RFC 4271 §5.1.5).
func (p *parser) checkLocalPref(o *problems, a *BGPAnnouncement) {
	if a.LocalPref == nil || len(a.Peers) == 0 {
		return
	}
	for _, name := range a.Peers {
		if p.cfg.Peers[name].IBGP() {
			return
		}
	}
	o.add("spec.localPref", v1alpha1.ReasonInvalid,
		"localPref is sent on iBGP sessions only (RFC 4271 §5.1.5) and every selected peer is eBGP (asn differs from localASN), so it has no effect: remove it, or select an iBGP peer")
}

// fitsAggregation reports whether the announcement's aggregation lengths
// advertise only prefixes inside the pool, and reports the pool if not:
// advertising a prefix that covers addresses ironlb does not own would
// attract traffic for them (MetalLB refuses such a configuration too).
func (p *parser) fitsAggregation(o *problems, a *BGPAnnouncement, name string) bool {
	fits := true
	for _, f := range [...]struct {
		field  string
		is4    bool
		length int
	}{{"spec.aggregationLength", true, a.AggregationLength}, {"spec.aggregationLengthV6", false, a.AggregationLengthV6}} {
		floor, edge := aggregationFloor(p.cfg.Pools[name].Ranges, f.is4)
		if f.length >= floor {
			continue
		}
		fits = false
		covering := netip.PrefixFrom(edge, f.length).Masked()
		o.add(f.field, v1alpha1.ReasonInvalid, fmt.Sprintf(
			"%d would advertise %s, which covers addresses outside IPPool %q and would attract traffic for addresses ironlb does not own: that pool needs %d or longer, and is not advertised by this announcement until then",
			f.length, covering, name, floor))
	}
	return fits
}

// aggregationFloor returns the shortest prefix length whose prefixes of
// every address of one family of the ranges stay inside the ranges, and the
// address that forces it (a block start not aligned to a shorter length, or
// a block end); 0 when the ranges hold no address of the family.
//
// Adjacent ranges are merged first, so 10.0.0.0-10.0.0.127 and
// 10.0.0.128-10.0.0.255 together fit a /24. A merged block [f, l] fits
// length n iff f has its last (bits-n) bits zero and l has them one.
func aggregationFloor(ranges []Range, is4 bool) (floor int, edge netip.Addr) {
	var blocks []Range
	for _, r := range ranges { // sorted and disjoint in a valid pool
		if r.First.Is4() != is4 {
			continue
		}
		if n := len(blocks); n > 0 && blocks[n-1].Last.Next() == r.First {
			blocks[n-1].Last = r.Last
			continue
		}
		blocks = append(blocks, r)
	}
	for _, b := range blocks {
		bits := b.First.BitLen()
		if n := bits - trailingZeros(b.First); n > floor {
			floor, edge = n, b.First
		}
		if n := bits - trailingOnes(b.Last); n > floor {
			floor, edge = n, b.Last
		}
	}
	return floor, edge
}
