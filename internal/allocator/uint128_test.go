package allocator

import (
	"net/netip"
	"testing"
)

func TestBuggyIn(t *testing.T) {
	at := func(x uint64) uint128 { return uint128{lo: 0xffff<<32 | x} }
	for first := uint64(0); first < 1100; first += 7 {
		for last := first; last < 1100; last += 13 {
			var want uint64
			for x := first; x <= last; x++ {
				if at(x).buggy() {
					want++
				}
			}
			if got := buggyIn(at(first), at(last)); got != want {
				t.Fatalf("buggyIn(%s, %s) = %d, want %d", at(first).addr(), at(last).addr(), got, want)
			}
		}
	}
	if got, want := buggyIn(at(0), at(0xffffffff)), uint64(2<<24); got != want {
		t.Errorf("buggyIn(0.0.0.0/0) = %d, want %d", got, want)
	}
}

func TestKeyRoundTrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0.0.0.0", "0.0.0.0"},
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"}, // one key for both spellings
		{"::", "::"},
		{"::203.0.113.7", "::cb00:7107"}, // IPv4-compatible is plain IPv6
		{"2001:db8::1", "2001:db8::1"},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	}
	for _, tt := range tests {
		if got := keyOf(netip.MustParseAddr(tt.in)).addr().String(); got != tt.want {
			t.Errorf("keyOf(%s).addr() = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestSkipBuggy(t *testing.T) {
	tests := []struct{ in, want string }{
		{"10.0.0.1", "10.0.0.1"},
		{"10.0.0.0", "10.0.0.1"},
		{"10.0.0.255", "10.0.1.1"},
		{"10.0.0.254", "10.0.0.254"},
	}
	for _, tt := range tests {
		if got := skipBuggy(keyOf(netip.MustParseAddr(tt.in))).addr().String(); got != tt.want {
			t.Errorf("skipBuggy(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
