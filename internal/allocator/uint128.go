package allocator

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// uint128 is an address as an unsigned 128-bit integer, so that range
// arithmetic is written once for both families. An IPv4 address a.b.c.d is
// stored as its IPv4-mapped form ::ffff:a.b.c.d, which is what
// [netip.Addr.As16] returns; the two spellings of an IPv4 address therefore
// have one key, and no IPv6 address can be confused with an IPv4 one.
type uint128 struct{ hi, lo uint64 }

// keyOf returns the key of ip. The zone of an IPv6 address is ignored: a
// LoadBalancer address is global and the API refuses zones where it matters.
func keyOf(ip netip.Addr) uint128 {
	b := ip.As16()
	return uint128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// is4 reports whether u lies in ::ffff:0.0.0.0/96, the IPv4 part of the key
// space.
func (u uint128) is4() bool { return u.hi == 0 && u.lo>>32 == 0xffff }

func (u uint128) family() Family {
	if u.is4() {
		return IPv4
	}
	return IPv6
}

// addr converts u back to an address, in the plain IPv4 form where it has one.
func (u uint128) addr() netip.Addr {
	if u.is4() {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(u.lo))
		return netip.AddrFrom4(b)
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], u.hi)
	binary.BigEndian.PutUint64(b[8:], u.lo)
	return netip.AddrFrom16(b)
}

func (u uint128) cmp(v uint128) int {
	switch {
	case u.hi < v.hi:
		return -1
	case u.hi > v.hi:
		return 1
	case u.lo < v.lo:
		return -1
	case u.lo > v.lo:
		return 1
	}
	return 0
}

func (u uint128) less(v uint128) bool { return u.hi < v.hi || u.hi == v.hi && u.lo < v.lo }

// add64 returns u+n, wrapping at 2^128. Callers never let it wrap: they step
// only inside a range whose last address is above u.
func (u uint128) add64(n uint64) uint128 {
	lo, c := bits.Add64(u.lo, n, 0)
	return uint128{u.hi + c, lo}
}

func (u uint128) addOne() uint128 { return u.add64(1) }

func (u uint128) subOne() uint128 {
	lo, b := bits.Sub64(u.lo, 1, 0)
	return uint128{u.hi - b, lo}
}

// sub returns u-v; callers ensure v <= u.
func (u uint128) sub(v uint128) uint128 {
	lo, b := bits.Sub64(u.lo, v.lo, 0)
	hi, _ := bits.Sub64(u.hi, v.hi, b)
	return uint128{hi, lo}
}

// Some client stacks and router firmwares still treat an IPv4 address ending
// in .0 or .255 as a network or broadcast address whatever the real prefix
// length, and drop traffic to it. A pool with AvoidBuggyIPs never hands those
// addresses out; MetalLB users know the knob by the same name.

// buggy reports whether u is an IPv4 address ending in .0 or .255.
func (u uint128) buggy() bool {
	b := u.lo & 0xff
	return u.is4() && (b == 0 || b == 0xff)
}

// skipBuggy returns the first IPv4 address at or after u that does not end in
// .0 or .255. Past 255.255.255.255 it leaves the IPv4 key space, which is
// above every IPv4 range, so callers comparing with a range end need no
// special case.
func skipBuggy(u uint128) uint128 {
	switch u.lo & 0xff {
	case 0xff:
		return u.add64(2)
	case 0:
		return u.add64(1)
	}
	return u
}

// buggyIn counts the IPv4 addresses ending in .0 or .255 in [first, last].
func buggyIn(first, last uint128) uint64 {
	f, l := first.lo&0xffffffff, last.lo&0xffffffff
	n := buggyUpTo(l)
	if f > 0 {
		n -= buggyUpTo(f - 1)
	}
	return n
}

// buggyUpTo counts the IPv4 addresses ending in .0 or .255 in [0, x]: two per
// whole /24 below x's, plus x's own .0, plus its .255 if x is that address.
func buggyUpTo(x uint64) uint64 {
	n := 2*(x>>8) + 1
	if x&0xff == 0xff {
		n++
	}
	return n
}
