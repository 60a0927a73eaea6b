package config

import (
	"fmt"
	"math/bits"
	"net/netip"
	"strings"
	"unicode"
)

// Range is an inclusive block of addresses of one family, First <= Last. It
// has the same fields as allocator.Range, so one converts to the other.
type Range struct {
	First, Last netip.Addr
}

// addressForms is what an IPPool address may be, for error messages.
const addressForms = "an IP address (198.51.100.7), a CIDR (203.0.113.0/24) or a range first-last of one family (198.51.100.200-198.51.100.250)"

// ParseAddressRange parses one IPPool address: a single IP, a CIDR or an
// inclusive range "first-last". It accepts exactly what the CEL rules on
// v1alpha1.AddressRange accept:
//
//   - no spaces and no zones ("fe80::1%eth0"): a pool address belongs to no
//     one interface;
//   - no IPv4-mapped IPv6 addresses ("::ffff:198.18.2.1"), as addresses, CIDRs
//     or range ends: write the IPv4 form, so that one address has one
//     spelling in pools, requests and status;
//   - no leading zeros in IPv4 octets ("010.0.0.1" is octal to some tools and
//     decimal to others);
//   - a CIDR with no host bits set ("203.0.113.7/24" is refused with a
//     message naming 203.0.113.0/24);
//   - a range of one family from its lower to its higher address, where IPv6
//     ends are written in hex (CEL orders the ends by their spelling and
//     cannot order "2001:db8::1.2.3.4").
//
// The unspecified, loopback, multicast and link-local addresses are accepted,
// as CEL accepts them: they are a matter of the network, not of syntax.
func ParseAddressRange(s string) (Range, error) {
	switch {
	case s == "":
		return Range{}, fmt.Errorf("address is empty: write %s", addressForms)
	case strings.ContainsFunc(s, unicode.IsSpace):
		return Range{}, fmt.Errorf("%q contains a space: write %s, without spaces", s, addressForms)
	case strings.Contains(s, "%"):
		return Range{}, fmt.Errorf("%q has a zone (%%name): a pool address belongs to no one interface; write %s", s, addressForms)
	case strings.Contains(s, "/"):
		return parseCIDR(s)
	case strings.Contains(s, "-"):
		return parseDashRange(s)
	}
	a, err := parseAddr(s)
	if err != nil {
		return Range{}, fmt.Errorf("%w; write %s", err, addressForms)
	}
	return Range{First: a, Last: a}, nil
}

// parseAddr parses one address as CEL's ip() does: no zone, not IPv4-mapped.
func parseAddr(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, fmt.Errorf("address is empty")
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%q is not an IP address: %s", s, netipReason(err))
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%q has a zone (%%name), which is not allowed", s)
	}
	if a.Is4In6() {
		return netip.Addr{}, fmt.Errorf("%q is an IPv4-mapped IPv6 address: write the IPv4 address %s", s, a.Unmap())
	}
	return a, nil
}

func parseCIDR(s string) (Range, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return Range{}, fmt.Errorf("%q is not a CIDR: %s; write %s", s, netipReason(err), addressForms)
	}
	if p.Addr().Is4In6() {
		return Range{}, fmt.Errorf("CIDR %s uses an IPv4-mapped IPv6 address: write the IPv4 CIDR instead", s)
	}
	if m := p.Masked(); m != p {
		return Range{}, fmt.Errorf("CIDR %s has host bits set: write its network address %s", s, m)
	}
	return Range{First: p.Addr(), Last: lastOf(p)}, nil
}

func parseDashRange(s string) (Range, error) {
	ends := strings.Split(s, "-")
	if len(ends) != 2 {
		return Range{}, fmt.Errorf("%q has %d dashes: a range is first-last, with exactly one dash; write %s", s, len(ends)-1, addressForms)
	}
	first, err := parseAddr(ends[0])
	if err != nil {
		return Range{}, fmt.Errorf("range %q: first address: %w", s, err)
	}
	last, err := parseAddr(ends[1])
	if err != nil {
		return Range{}, fmt.Errorf("range %q: last address: %w", s, err)
	}
	if first.Is4() != last.Is4() {
		return Range{}, fmt.Errorf("range %q mixes IPv4 and IPv6: both ends must be of the same family", s)
	}
	if last.Less(first) {
		return Range{}, fmt.Errorf("range %q runs from its higher to its lower address: write %s-%s", s, last, first)
	}
	return Range{First: first, Last: last}, nil
}

// netipReason strips the `ParseAddr("..."): ` prefix of a net/netip error,
// which would repeat the input the caller already quotes.
func netipReason(err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, "Parse") {
		if i := strings.Index(msg, "): "); i >= 0 {
			return msg[i+3:]
		}
	}
	return msg
}

// IsValid reports whether r is a range ParseAddressRange could return: both
// ends valid, of one family, without zone, First <= Last.
func (r Range) IsValid() bool {
	return r.First.IsValid() && r.Last.IsValid() && r.First.BitLen() == r.Last.BitLen() &&
		r.First.Zone() == "" && r.Last.Zone() == "" && !r.Last.Less(r.First)
}

// Contains reports whether a is in r. A zone on a is ignored; an
// IPv4-mapped IPv6 address is IPv6 here (Unmap it if you mean IPv4).
func (r Range) Contains(a netip.Addr) bool {
	a = a.WithZone("")
	return a.BitLen() == r.First.BitLen() && r.First.Compare(a) <= 0 && a.Compare(r.Last) <= 0
}

// Overlaps reports whether r and o have an address in common.
func (r Range) Overlaps(o Range) bool {
	return r.First.BitLen() == o.First.BitLen() && r.First.Compare(o.Last) <= 0 && o.First.Compare(r.Last) <= 0
}

// intersect returns the addresses in both r and o; ok is false if none.
func (r Range) intersect(o Range) (_ Range, ok bool) {
	if !r.Overlaps(o) {
		return Range{}, false
	}
	out := r
	if out.First.Less(o.First) {
		out.First = o.First
	}
	if o.Last.Less(out.Last) {
		out.Last = o.Last
	}
	return out, true
}

// String returns the shortest spelling ParseAddressRange reads back as r: the
// address for a range of one, the CIDR when r is exactly one, else
// "first-last".
func (r Range) String() string {
	switch {
	case !r.IsValid():
		return "invalid range"
	case r.First == r.Last:
		return r.First.String()
	}
	host := min(trailingZeros(r.First), trailingOnes(r.Last))
	if p := netip.PrefixFrom(r.First, r.First.BitLen()-host); lastOf(p) == r.Last {
		return p.String()
	}
	return r.First.String() + "-" + r.Last.String()
}

// lastOf returns the last address of the masked prefix p.
func lastOf(p netip.Prefix) netip.Addr {
	host := p.Addr().BitLen() - p.Bits()
	if p.Addr().Is4() {
		b := p.Masked().Addr().As4()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		v |= uint32(uint64(1)<<host - 1)
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	hi, lo := halves(p.Masked().Addr())
	switch {
	case host >= 64:
		lo = ^uint64(0)
		hi |= uint64(1)<<(host-64) - 1 // for host 128, 1<<64 is 0 in Go and 0-1 is all ones
	default:
		lo |= uint64(1)<<host - 1
	}
	return fromHalves(hi, lo)
}

// trailingZeros counts the zero bits at the low end of a, at most its
// BitLen: an address whose last n bits are zero starts a /(BitLen-n) block.
func trailingZeros(a netip.Addr) int {
	if a.Is4() {
		b := a.As4()
		return bits.TrailingZeros32(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
	}
	hi, lo := halves(a)
	if lo != 0 {
		return bits.TrailingZeros64(lo)
	}
	return 64 + bits.TrailingZeros64(hi)
}

// trailingOnes counts the one bits at the low end of a, at most its BitLen:
// an address whose last n bits are one ends a /(BitLen-n) block.
func trailingOnes(a netip.Addr) int {
	if a.Is4() {
		b := a.As4()
		return bits.TrailingZeros32(^(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])))
	}
	hi, lo := halves(a)
	if ^lo != 0 {
		return bits.TrailingZeros64(^lo)
	}
	return 64 + bits.TrailingZeros64(^hi)
}

func halves(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	for i := range 8 {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[i+8])
	}
	return hi, lo
}

func fromHalves(hi, lo uint64) netip.Addr {
	var b [16]byte
	for i := range 8 {
		b[7-i] = byte(hi >> (8 * i))
		b[15-i] = byte(lo >> (8 * i))
	}
	return netip.AddrFrom16(b)
}
