package announce

import (
	"cmp"
	"net/netip"
	"slices"
)

// Plan is what one node advertises.
type Plan struct {
	// RouterID is the BGP identifier: the first peer's (by name) routerID if
	// one sets it, else the node's first IPv4 address. The zero Addr means
	// the node cannot run BGP (see Problem).
	RouterID netip.Addr
	// Peers are the names of the peers to keep sessions with, sorted. A
	// session is kept even when it carries no route, so that announcing the
	// first Service never waits for a session to come up.
	Peers []string
	// Adverts are the routes per peer name, sorted by prefix.
	Adverts map[string][]Advert
	// Services says, per Service key, what this node does for it.
	Services map[string]ServicePlan
	// Problem is set when the node cannot peer at all (no router ID).
	Problem string
}

// Advert is one route to one peer.
type Advert struct {
	Prefix  netip.Prefix
	NextHop netip.Addr
	// Communities and LargeCommunities are sorted and unique: the union of
	// the announcements that select the route.
	Communities      []uint32
	LargeCommunities []LargeCommunity
	// LocalPref is 0 when not sent.
	LocalPref uint32
	// Services behind the route, sorted.
	Services []string
}

// ServicePlan is what this node does for one Service.
type ServicePlan struct {
	// Peers the node advertises the Service's addresses to, sorted. Empty
	// when it advertises nothing; Reason says why.
	Peers  []string
	Reason Reason
}

// Reason tells why a node does not advertise a Service.
type Reason string

// Reasons a node does not advertise a Service.
const (
	ReasonAdvertised      Reason = ""
	ReasonNodeExcluded    Reason = "NodeExcluded"
	ReasonNoEndpoints     Reason = "NoEndpoints"
	ReasonNoLocalEndpoint Reason = "NoLocalEndpoint"
	ReasonNotInPool       Reason = "NotInPool"
	ReasonNoAnnouncement  Reason = "NoAnnouncement"
	ReasonNoPeer          Reason = "NoPeer"
	ReasonNoNodeAddress   Reason = "NoNodeAddress"
	ReasonNoRouterID      Reason = "NoRouterID"
)

// Compute returns the plan for in.Node. It is deterministic: the same input,
// in any order, gives the same plan.
func Compute(in Input) Plan {
	p := Plan{Adverts: map[string][]Advert{}, Services: map[string]ServicePlan{}}
	peers := map[string]Peer{}
	for _, pr := range in.Peers {
		peers[pr.Name] = pr
		p.Peers = append(p.Peers, pr.Name)
	}
	slices.Sort(p.Peers)
	p.Peers = slices.Compact(p.Peers)
	p.RouterID = routerID(in.Node, p.Peers, peers)
	if p.RouterID == (netip.Addr{}) && len(p.Peers) > 0 {
		p.Problem = "the node has no IPv4 InternalIP and no BGPPeer sets spec.routerID"
	}

	pools := newPoolIndex(in.Pools)
	anns := slices.Clone(in.BGPAnnouncements)
	slices.SortFunc(anns, func(a, b BGPAnnouncement) int { return cmp.Compare(a.Name, b.Name) })

	routes := map[routeKey]*Advert{}
	for _, svc := range in.Services {
		sp := ServicePlan{Reason: eligible(in.Node, svc)}
		if sp.Reason == ReasonAdvertised {
			sp = plan(in.Node, svc, pools, anns, peers, p.RouterID, routes)
		}
		p.Services[svc.Key] = sp
	}
	for k, a := range routes {
		p.Adverts[k.peer] = append(p.Adverts[k.peer], *a)
	}
	for name, list := range p.Adverts {
		for i := range list {
			a := &list[i]
			slices.Sort(a.Communities)
			a.Communities = slices.Compact(a.Communities)
			slices.SortFunc(a.LargeCommunities, compareLarge)
			a.LargeCommunities = slices.Compact(a.LargeCommunities)
			slices.Sort(a.Services)
			a.Services = slices.Compact(a.Services)
		}
		slices.SortFunc(list, func(a, b Advert) int { return comparePrefix(a.Prefix, b.Prefix) })
		p.Adverts[name] = list
	}
	return p
}

type routeKey struct {
	peer   string
	prefix netip.Prefix
}

// plan adds the routes of one eligible Service to routes and says to which
// peers they go.
func plan(node Node, svc Service, pools poolIndex, anns []BGPAnnouncement, peers map[string]Peer, rid netip.Addr, routes map[routeKey]*Advert) ServicePlan {
	var (
		to     []string
		reason Reason
	)
	// The most specific reason wins when nothing is advertised: a later
	// stage overrides an earlier one.
	worse := func(r Reason) {
		if reason == ReasonAdvertised || stage(r) > stage(reason) {
			reason = r
		}
	}
	for _, ip := range svc.IPs {
		pool, ok := pools.lookup(ip)
		if !ok {
			worse(ReasonNotInPool)
			continue
		}
		nh := nextHop(node, ip)
		for i := range anns {
			a := &anns[i]
			if !slices.Contains(a.Pools, pool) {
				worse(ReasonNoAnnouncement)
				continue
			}
			if !nh.IsValid() {
				worse(ReasonNoNodeAddress)
				continue
			}
			bits := a.AggregationLength
			if ip.Is6() {
				bits = a.AggregationLengthV6
			}
			prefix, err := ip.Prefix(bits)
			if err != nil {
				// The parser bounds the lengths; a bad one cannot reach here,
				// but a route we cannot express is not advertised.
				worse(ReasonNoAnnouncement)
				continue
			}
			for _, name := range a.Peers {
				peer, ok := peers[name]
				if !ok {
					worse(ReasonNoPeer)
					continue
				}
				if !rid.IsValid() {
					worse(ReasonNoRouterID)
					continue
				}
				k := routeKey{peer: name, prefix: prefix}
				r := routes[k]
				if r == nil {
					r = &Advert{Prefix: prefix, NextHop: nh}
					routes[k] = r
				}
				r.Communities = append(r.Communities, a.Communities...)
				r.LargeCommunities = append(r.LargeCommunities, a.LargeCommunities...)
				if a.LocalPref != nil && peer.IBGP {
					// Two announcements setting different values for one route
					// are refused by the parser; max keeps the plan
					// deterministic all the same.
					r.LocalPref = max(r.LocalPref, *a.LocalPref)
				}
				r.Services = append(r.Services, svc.Key)
				to = append(to, name)
			}
		}
	}
	if len(to) == 0 {
		if reason == ReasonAdvertised {
			reason = ReasonNoAnnouncement
		}
		return ServicePlan{Reason: reason}
	}
	slices.Sort(to)
	return ServicePlan{Peers: slices.Compact(to)}
}

// stage orders the reasons by how far a Service got.
func stage(r Reason) int {
	return slices.Index([]Reason{ReasonNotInPool, ReasonNoAnnouncement, ReasonNoNodeAddress, ReasonNoPeer, ReasonNoRouterID}, r)
}

// eligible says whether the node may advertise the Service at all, from the
// node's label and the Service's endpoints.
func eligible(node Node, svc Service) Reason {
	if node.Excluded {
		return ReasonNodeExcluded
	}
	var ready, serving bool
	for _, ep := range svc.Endpoints {
		if svc.Local && ep.Node != node.Name {
			continue
		}
		ready = ready || ep.Ready
		serving = serving || (ep.Serving && ep.Terminating)
	}
	// Terminating endpoints still serve traffic when no endpoint is ready
	// (kube-proxy does the same since ProxyTerminatingEndpoints went GA), so
	// a rolling update of a single replica does not withdraw the route.
	switch {
	case ready || serving:
		return ReasonAdvertised
	case svc.Local:
		return ReasonNoLocalEndpoint
	default:
		return ReasonNoEndpoints
	}
}

// routerID picks the BGP identifier.
func routerID(node Node, names []string, peers map[string]Peer) netip.Addr {
	for _, n := range names {
		if id := peers[n].RouterID; id.IsValid() {
			return id
		}
	}
	for _, a := range node.Addrs {
		if a.Is4() {
			return a
		}
	}
	return netip.Addr{}
}

// nextHop is the node's first address of ip's family.
func nextHop(node Node, ip netip.Addr) netip.Addr {
	for _, a := range node.Addrs {
		if a.Is4() == ip.Is4() {
			return a
		}
	}
	return netip.Addr{}
}

func compareLarge(a, b LargeCommunity) int {
	return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]), cmp.Compare(a[2], b[2]))
}

// comparePrefix orders IPv4 before IPv6, then by address, then by length.
func comparePrefix(a, b netip.Prefix) int {
	return cmp.Or(a.Addr().Compare(b.Addr()), cmp.Compare(a.Bits(), b.Bits()))
}
