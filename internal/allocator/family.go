package allocator

import (
	"fmt"
	"net/netip"
	"strconv"
)

// Family is an IP address family.
type Family uint8

// The families. The zero Family is not valid.
const (
	IPv4 Family = 4
	IPv6 Family = 6
)

func (f Family) String() string {
	switch f {
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	}
	return "Family(" + strconv.Itoa(int(f)) + ")"
}

func (f Family) valid() bool { return f == IPv4 || f == IPv6 }

// FamilyOf returns the family of ip, or 0 if ip is the zero Addr. An
// IPv4-mapped IPv6 address is IPv4, as everywhere in this package.
func FamilyOf(ip netip.Addr) Family {
	switch {
	case !ip.IsValid():
		return 0
	case ip.Unmap().Is4():
		return IPv4
	}
	return IPv6
}

// Range is the addresses from First to Last, both included and both of one
// family.
type Range struct {
	First, Last netip.Addr
}

// PrefixRange returns the range of every address in p, the first and last
// included: a LoadBalancer address is not a subnet, so a /24 pool holds 256
// addresses unless it avoids .0 and .255 (see [Pool]). An invalid prefix gives
// the zero Range, which no pool accepts.
func PrefixRange(p netip.Prefix) Range {
	if !p.IsValid() {
		return Range{}
	}
	p = p.Masked()
	first := keyOf(p.Addr())
	host := 128 - p.Bits()
	if p.Addr().Is4() {
		host = 32 - p.Bits()
	}
	last := first
	switch {
	case host > 64:
		last.hi |= ^uint64(0) >> (128 - host)
		last.lo = ^uint64(0)
	case host > 0:
		last.lo |= ^uint64(0) >> (64 - host)
	}
	return Range{First: first.addr(), Last: last.addr()}
}

// String returns "first-last", or just the address for a range of one.
func (r Range) String() string {
	if r.First == r.Last {
		return r.First.String()
	}
	return r.First.String() + "-" + r.Last.String()
}

// check reports what makes r unusable as part of a pool.
func (r Range) check() error {
	switch {
	case !r.First.IsValid() || !r.Last.IsValid():
		return fmt.Errorf("range %s: missing address", r)
	case r.First.Zone() != "" || r.Last.Zone() != "":
		// A zone names a link; a LoadBalancer address is reached from
		// anywhere.
		return fmt.Errorf("range %s: an address with a zone cannot be a LoadBalancer address", r)
	case FamilyOf(r.First) != FamilyOf(r.Last):
		return fmt.Errorf("range %s: mixes IPv4 and IPv6", r)
	case keyOf(r.Last).less(keyOf(r.First)):
		return fmt.Errorf("range %s: first address is after the last", r)
	}
	return nil
}
