package allocator_test

import (
	"net/netip"
	"testing"

	"github.com/ironlb/ironlb/internal/allocator"
)

func TestPrefixRange(t *testing.T) {
	tests := []struct{ prefix, want string }{
		{"203.0.113.0/24", "203.0.113.0-203.0.113.255"},
		{"203.0.113.77/24", "203.0.113.0-203.0.113.255"}, // masked
		{"203.0.113.7/32", "203.0.113.7"},
		{"0.0.0.0/0", "0.0.0.0-255.255.255.255"},
		{"2001:db8::/64", "2001:db8::-2001:db8::ffff:ffff:ffff:ffff"},
		{"2001:db8::/63", "2001:db8::-2001:db8:0:1:ffff:ffff:ffff:ffff"},
		{"2001:db8::/65", "2001:db8::-2001:db8::7fff:ffff:ffff:ffff"},
		{"2001:db8::1/128", "2001:db8::1"},
		{"::/0", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{"::ffff:203.0.113.0/120", "203.0.113.0-203.0.113.255"},
	}
	for _, tt := range tests {
		if got := allocator.PrefixRange(netip.MustParsePrefix(tt.prefix)).String(); got != tt.want {
			t.Errorf("PrefixRange(%s) = %s, want %s", tt.prefix, got, tt.want)
		}
	}
	if got := allocator.PrefixRange(netip.Prefix{}); got != (allocator.Range{}) {
		t.Errorf("PrefixRange(invalid) = %v, want the zero Range", got)
	}
}

func TestFamily(t *testing.T) {
	tests := []struct {
		ip   netip.Addr
		want allocator.Family
		name string
	}{
		{addr("203.0.113.1"), allocator.IPv4, "IPv4"},
		{addr("::ffff:203.0.113.1"), allocator.IPv4, "IPv4"},
		{addr("2001:db8::1"), allocator.IPv6, "IPv6"},
		{addr("::"), allocator.IPv6, "IPv6"},
		{netip.Addr{}, 0, "Family(0)"},
	}
	for _, tt := range tests {
		got := allocator.FamilyOf(tt.ip)
		if got != tt.want || got.String() != tt.name {
			t.Errorf("FamilyOf(%v) = %v (%d), want %s", tt.ip, got, got, tt.name)
		}
	}
}
