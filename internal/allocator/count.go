package allocator

import (
	"math"
	"math/bits"
	"strconv"
)

// Count is a number of addresses. It is exact for every value from 0 to 2^128,
// the size of a ::/0 pool, so a /64 reports 18446744073709551616 rather than
// overflowing to 0, and no count is ever negative. The zero Count is 0.
type Count struct {
	top    uint64 // the 2^128 bit: 0 or 1
	hi, lo uint64
}

func countOf(n uint64) Count { return Count{lo: n} }

// spanCount returns the number of addresses from first to last inclusive,
// which is 2^128 for the whole IPv6 space.
func spanCount(first, last uint128) Count {
	d := last.sub(first)
	lo, c := bits.Add64(d.lo, 1, 0)
	hi, c := bits.Add64(d.hi, 0, c)
	return Count{top: c, hi: hi, lo: lo}
}

func (c Count) add(d Count) Count {
	lo, carry := bits.Add64(c.lo, d.lo, 0)
	hi, carry := bits.Add64(c.hi, d.hi, carry)
	return Count{top: c.top + d.top + carry, hi: hi, lo: lo}
}

// sub returns c-d; callers ensure d <= c.
func (c Count) sub(d Count) Count {
	lo, borrow := bits.Sub64(c.lo, d.lo, 0)
	hi, borrow := bits.Sub64(c.hi, d.hi, borrow)
	return Count{top: c.top - d.top - borrow, hi: hi, lo: lo}
}

// IsZero reports whether c is 0.
func (c Count) IsZero() bool { return c == Count{} }

// IsUint64 reports whether c fits in a uint64.
func (c Count) IsUint64() bool { return c.top == 0 && c.hi == 0 }

// Uint64 returns c, or math.MaxUint64 if c does not fit (see
// [Count.IsUint64]). A saturated value is still the right answer to "are
// there at least n addresses".
func (c Count) Uint64() uint64 {
	if !c.IsUint64() {
		return math.MaxUint64
	}
	return c.lo
}

// Float64 returns c as the nearest float64, for metrics, whose gauges are
// floats.
func (c Count) Float64() float64 {
	return float64(c.top)*0x1p128 + float64(c.hi)*0x1p64 + float64(c.lo)
}

// Cmp returns -1, 0 or +1 as c is less than, equal to or greater than d.
func (c Count) Cmp(d Count) int {
	switch {
	case c.top != d.top:
		return cmpUint64(c.top, d.top)
	case c.hi != d.hi:
		return cmpUint64(c.hi, d.hi)
	}
	return cmpUint64(c.lo, d.lo)
}

func cmpUint64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// String returns c in decimal, as IPPool status reports it.
func (c Count) String() string {
	if c.IsUint64() {
		return strconv.FormatUint(c.lo, 10)
	}
	// Peel off 19 decimal digits at a time (10^19 is the largest power of
	// ten below 2^64); 2^128 has 39 digits, so three groups always suffice.
	const group = 10_000_000_000_000_000_000
	var groups [3]uint64
	n := 0
	top, hi, lo := c.top, c.hi, c.lo
	for top|hi|lo != 0 {
		var r uint64
		top, r = bits.Div64(0, top, group)
		hi, r = bits.Div64(r, hi, group)
		lo, r = bits.Div64(r, lo, group)
		groups[n] = r
		n++
	}
	b := strconv.AppendUint(make([]byte, 0, 40), groups[n-1], 10)
	for i := n - 2; i >= 0; i-- {
		d := strconv.FormatUint(groups[i], 10)
		for range 19 - len(d) {
			b = append(b, '0')
		}
		b = append(b, d...)
	}
	return string(b)
}

// Counts are the address counts of one family of one pool, as IPPool status
// reports them.
type Counts struct {
	// Total is the number of addresses the pool can hand out: every address
	// of its ranges, less those ending in .0 or .255 if it avoids them.
	Total Count
	// Assigned is the number of those addresses that are held; an address
	// shared by several Services counts once.
	Assigned Count
	// Available is Total minus Assigned.
	Available Count
}
