package allocator

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func (c Count) big() *big.Int {
	b := new(big.Int).SetUint64(c.top)
	b.Lsh(b, 64).Or(b, new(big.Int).SetUint64(c.hi))
	b.Lsh(b, 64).Or(b, new(big.Int).SetUint64(c.lo))
	return b
}

func TestCountString(t *testing.T) {
	tests := []struct {
		c    Count
		want string
	}{
		{Count{}, "0"},
		{countOf(1), "1"},
		{countOf(math.MaxUint64), "18446744073709551615"},
		{Count{hi: 1}, "18446744073709551616"},                                // a /64
		{Count{top: 1}, "340282366920938463463374607431768211456"},            // all of IPv6
		{Count{hi: 1, lo: 3_553_255_926_290_448_389}, "22000000000000000005"}, // a zero-padded middle group
		{Count{hi: math.MaxUint64, lo: math.MaxUint64}, "340282366920938463463374607431768211455"},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("%#v.String() = %s, want %s", tt.c, got, tt.want)
		}
	}
}

// TestCountArithmetic checks Count against math/big on random values,
// including every carry and borrow across the three words.
func TestCountArithmetic(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	word := func() uint64 {
		switch r.IntN(4) {
		case 0:
			return 0
		case 1:
			return math.MaxUint64
		}
		return r.Uint64()
	}
	random := func() Count {
		// At most 2^128.
		if r.IntN(8) == 0 {
			return Count{top: 1}
		}
		return Count{hi: word(), lo: word()}
	}
	for range 10000 {
		x, y := random(), random()
		if x.Cmp(y) < 0 {
			x, y = y, x
		}
		if got, want := x.String(), x.big().String(); got != want {
			t.Fatalf("String() = %s, want %s", got, want)
		}
		if got, want := x.sub(y).big(), new(big.Int).Sub(x.big(), y.big()); got.Cmp(want) != 0 {
			t.Fatalf("%s - %s = %s, want %s", x, y, got, want)
		}
		if y.top == 0 && x.top == 0 {
			if got, want := x.add(y).big(), new(big.Int).Add(x.big(), y.big()); got.Cmp(want) != 0 {
				t.Fatalf("%s + %s = %s, want %s", x, y, got, want)
			}
		}
		if got, want := x.Cmp(y), x.big().Cmp(y.big()); got != want {
			t.Fatalf("Cmp(%s, %s) = %d, want %d", x, y, got, want)
		}
		if got, want := x.IsUint64(), x.big().IsUint64(); got != want {
			t.Fatalf("%s.IsUint64() = %v, want %v", x, got, want)
		}
		f, _ := new(big.Float).SetInt(x.big()).Float64()
		if got := x.Float64(); math.Abs(got-f) > f*1e-15 {
			t.Fatalf("%s.Float64() = %g, want %g", x, got, f)
		}
	}
}

func TestCountAccessors(t *testing.T) {
	slash64 := spanCount(uint128{hi: 7}, uint128{hi: 7, lo: math.MaxUint64})
	all := spanCount(uint128{}, uint128{math.MaxUint64, math.MaxUint64})
	tests := []struct {
		name     string
		c        Count
		isZero   bool
		isUint64 bool
		uint64   uint64
	}{
		{"zero", Count{}, true, true, 0},
		{"one", spanCount(uint128{lo: 5}, uint128{lo: 5}), false, true, 1},
		{"/64", slash64, false, false, math.MaxUint64},
		{"all", all, false, false, math.MaxUint64},
	}
	for _, tt := range tests {
		if got := tt.c.IsZero(); got != tt.isZero {
			t.Errorf("%s: IsZero() = %v, want %v", tt.name, got, tt.isZero)
		}
		if got := tt.c.IsUint64(); got != tt.isUint64 {
			t.Errorf("%s: IsUint64() = %v, want %v", tt.name, got, tt.isUint64)
		}
		if got := tt.c.Uint64(); got != tt.uint64 {
			t.Errorf("%s: Uint64() = %d, want %d", tt.name, got, tt.uint64)
		}
	}
	if got := all.String(); got != "340282366920938463463374607431768211456" {
		t.Errorf("all.String() = %s", got)
	}
	if got := slash64.Float64(); got != 0x1p64 {
		t.Errorf("/64 Float64() = %g, want 2^64", got)
	}
}
