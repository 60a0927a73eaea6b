package announce

import "net/netip"

// Input is everything a node's plan depends on. Selectors are resolved by the
// caller: Peers and BGPAnnouncements hold only the objects that select this
// node. Order does not matter.
type Input struct {
	Node     Node
	Pools    []Pool
	Services []Service
	// Peers are the valid BGPPeers whose nodeSelector matches this node.
	Peers []Peer
	// BGPAnnouncements are the valid BGPAnnouncements whose nodeSelector
	// matches this node.
	BGPAnnouncements []BGPAnnouncement
}

// Node is the node the plan is for.
type Node struct {
	Name string
	// Addrs are the node's InternalIPs; the first of each family is the next
	// hop of that family's routes.
	Addrs []netip.Addr
	// Excluded is true when the node carries the label
	// node.kubernetes.io/exclude-from-external-load-balancers: it announces
	// nothing.
	Excluded bool
}

// Pool is an IPPool: a name and its address ranges.
type Pool struct {
	Name   string
	Ranges []Range
}

// Range is the inclusive range of addresses First..Last, of one family.
type Range struct {
	First, Last netip.Addr
}

// Service is a LoadBalancer Service served by ironlb.
type Service struct {
	// Key is namespace/name.
	Key string
	// IPs are the addresses in status.loadBalancer.ingress.
	IPs []netip.Addr
	// Local is true for externalTrafficPolicy: Local.
	Local     bool
	Endpoints []Endpoint
}

// Endpoint is one endpoint of the Service's EndpointSlices, with the
// conditions of discovery.k8s.io/v1 (a nil condition there is read as the
// API documents: ready and serving unless terminating).
type Endpoint struct {
	Node        string
	Ready       bool
	Serving     bool
	Terminating bool
}

// Peer is a BGPPeer that selects this node.
type Peer struct {
	Name    string
	Address netip.Addr
	// IBGP is true when the router's AS equals the node's AS on the session:
	// only then is LOCAL_PREF sent (RFC 4271 §5.1.5).
	IBGP bool
	// RouterID is the peer's spec.routerID; the zero Addr when unset.
	RouterID netip.Addr
}

// BGPAnnouncement says which pools are advertised to which peers, with which
// attributes.
type BGPAnnouncement struct {
	Name string
	// Pools and Peers are names; an empty list selects nothing (the caller
	// resolves "none named means all").
	Pools []string
	Peers []string
	// AggregationLength and AggregationLengthV6 are the advertised prefix
	// lengths (32 and 128 for single addresses).
	AggregationLength   int
	AggregationLengthV6 int
	// LocalPref is sent to iBGP peers when non-nil.
	LocalPref        *uint32
	Communities      []uint32
	LargeCommunities []LargeCommunity
}

// LargeCommunity is an RFC 8092 community: global administrator and two
// local data parts.
type LargeCommunity [3]uint32
