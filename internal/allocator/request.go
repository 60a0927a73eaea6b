package allocator

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
)

// Port is a protocol and port that a Service exposes on its address. Two
// Services that share an address must not both use the same one.
type Port struct {
	Protocol string // "TCP", "UDP" or "SCTP", spelled as in a Kubernetes ServicePort
	Port     uint16
}

func (p Port) String() string { return p.Protocol + "/" + strconv.Itoa(int(p.Port)) }

// Request asks for addresses for one Service. The caller has already decided
// which pools the Service may use (tenancy, autoAssign, the pool annotation,
// priorities); the allocator decides which addresses.
type Request struct {
	// Service is the Service's "namespace/name".
	Service string
	// Families are the families wanted, one or two, in the order the
	// results are returned (spec.ipFamilies).
	Families []Family
	// IPs are addresses asked for by name, at most one per family, each of
	// a family in Families. A family without one is assigned automatically.
	IPs []netip.Addr
	// Pools are the candidate pools in order of preference. Names of pools
	// the allocator does not know are skipped.
	Pools []string
	// SharingKey lets the Service share an address with Services carrying
	// the same key; "" means it shares with no one.
	SharingKey string
	// Ports are the Service's ports; sharers must not have one in common.
	Ports []Port
	// TrafficKey is "" under externalTrafficPolicy Cluster, and otherwise
	// names the endpoints that decide which nodes announce the address
	// (for example "Local/" and the pod selector). Sharers must have equal
	// keys: one address is announced by one set of nodes.
	TrafficKey string
}

// check validates the request with ips as its addresses; it returns an error
// wrapping ErrInvalidRequest.
func (r *Request) check(ips []netip.Addr) error {
	if r.Service == "" {
		return fmt.Errorf("no service name: %w", ErrInvalidRequest)
	}
	switch len(r.Families) {
	case 1:
		if !r.Families[0].valid() {
			return fmt.Errorf("unknown family %s: %w", r.Families[0], ErrInvalidRequest)
		}
	case 2:
		if !r.Families[0].valid() || !r.Families[1].valid() || r.Families[0] == r.Families[1] {
			return fmt.Errorf("families %v: want IPv4, IPv6 or both: %w", r.Families, ErrInvalidRequest)
		}
	default:
		return fmt.Errorf("%d families: want one or two: %w", len(r.Families), ErrInvalidRequest)
	}
	var seen [2]bool
	for _, ip := range ips {
		if !ip.IsValid() {
			return fmt.Errorf("missing address: %w", ErrInvalidRequest)
		}
		if ip.Zone() != "" {
			return fmt.Errorf("address %s has a zone: %w", ip, ErrInvalidRequest)
		}
		f := FamilyOf(ip)
		if !slices.Contains(r.Families, f) {
			return fmt.Errorf("address %s is %s but the families are %v: %w", ip, f, r.Families, ErrInvalidRequest)
		}
		if seen[famIndex(f)] {
			return fmt.Errorf("two %s addresses: %w", f, ErrInvalidRequest)
		}
		seen[famIndex(f)] = true
	}
	for _, p := range r.Ports {
		switch p.Protocol {
		case "TCP", "UDP", "SCTP":
		default:
			return fmt.Errorf("port %s: unknown protocol: %w", p, ErrInvalidRequest)
		}
		if p.Port == 0 {
			return fmt.Errorf("port %s: port 0: %w", p, ErrInvalidRequest)
		}
	}
	return nil
}

// explicit returns the address the request names for family f.
func (r *Request) explicit(f Family) (netip.Addr, bool) {
	for _, ip := range r.IPs {
		if FamilyOf(ip) == f {
			return ip, true
		}
	}
	return netip.Addr{}, false
}
