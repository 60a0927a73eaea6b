package config_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ironlb/ironlb/internal/config"
)

func TestParseAddressRange(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    config.Range
		wantErr string // substring of the error; empty: no error
	}{
		// Valid forms.
		{in: "198.51.100.7", want: rng("198.51.100.7", "198.51.100.7")},
		{in: "2001:db8::1", want: rng("2001:db8::1", "2001:db8::1")},
		{in: "203.0.113.0/24", want: rng("203.0.113.0", "203.0.113.255")},
		{in: "2001:db8:200::/120", want: rng("2001:db8:200::", "2001:db8:200::ff")},
		{in: "198.51.100.200-198.51.100.250", want: rng("198.51.100.200", "198.51.100.250")},
		{in: "2001:db8::1-2001:db8::ff", want: rng("2001:db8::1", "2001:db8::ff")},
		{in: "198.51.100.7-198.51.100.7", want: rng("198.51.100.7", "198.51.100.7")},
		{in: "2001:db8::7-2001:db8::7", want: rng("2001:db8::7", "2001:db8::7")},
		{in: "198.51.100.7/32", want: rng("198.51.100.7", "198.51.100.7")},
		{in: "2001:db8::7/128", want: rng("2001:db8::7", "2001:db8::7")},
		{in: "0.0.0.0/0", want: rng("0.0.0.0", "255.255.255.255")},
		{in: "::/0", want: rng("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")},
		{in: "2001:db8::/64", want: rng("2001:db8::", "2001:db8::ffff:ffff:ffff:ffff")},
		{in: "10.0.0.0-10.0.1.255", want: rng("10.0.0.0", "10.0.1.255")},
		{in: "2001:DB8::A-2001:db8::b", want: rng("2001:db8::a", "2001:db8::b")},
		{in: "2001:db8::9-2001:db8::10", want: rng("2001:db8::9", "2001:db8::10")},
		{in: "::-::1", want: rng("::", "::1")},
		// A dotted IPv4 tail is fine in an IPv6 address, CIDR or range end.
		{in: "64:ff9b::198.51.100.1", want: rng("64:ff9b::c633:6401", "64:ff9b::c633:6401")},
		{in: "64:ff9b::/96", want: rng("64:ff9b::", "64:ff9b::ffff:ffff")},

		// Not an address at all.
		{in: "", wantErr: "address is empty"},
		{in: "-", wantErr: `range "-": first address: address is empty`},
		{in: "a-b-c", wantErr: "has 2 dashes"},
		{in: "198.51.100.1-198.51.100.2-198.51.100.3", wantErr: "exactly one dash"},
		{in: "198.51.100.1-", wantErr: "last address: address is empty"},
		{in: "-198.51.100.1", wantErr: "first address: address is empty"},
		{in: "example.com", wantErr: `"example.com" is not an IP address`},
		{in: "198.51.100", wantErr: "is not an IP address"},
		{in: "256.0.0.1", wantErr: "is not an IP address"},
		// Backwards and mixed ranges.
		{in: "198.51.100.250-198.51.100.200", wantErr: "runs from its higher to its lower address: write 198.51.100.200-198.51.100.250"},
		{in: "2001:db8::ff-2001:db8::1", wantErr: "write 2001:db8::1-2001:db8::ff"},
		{in: "198.51.100.1-2001:db8::1", wantErr: "mixes IPv4 and IPv6"},
		{in: "2001:db8::1-198.51.100.1", wantErr: "mixes IPv4 and IPv6"},
		// CIDRs.
		{in: "203.0.113.7/24", wantErr: "CIDR 203.0.113.7/24 has host bits set: write its network address 203.0.113.0/24"},
		{in: "2001:db8::1/64", wantErr: "write its network address 2001:db8::/64"},
		{in: "198.51.100.1/0", wantErr: "write its network address 0.0.0.0/0"},
		{in: "198.51.100.0/33", wantErr: `"198.51.100.0/33" is not a CIDR`},
		{in: "2001:db8::/129", wantErr: "is not a CIDR"},
		{in: "198.51.100.0/", wantErr: "is not a CIDR"},
		{in: "198.51.100.0/024", wantErr: "is not a CIDR"},
		{in: "198.51.100.0/24-198.51.100.9", wantErr: "is not a CIDR"},
		// Spaces, zones, IPv4-mapped, leading zeros.
		{in: "198.51.100.1 - 198.51.100.2", wantErr: "contains a space"},
		{in: " 198.51.100.1", wantErr: "without spaces"},
		{in: "198.51.100.0/ 24", wantErr: "contains a space"},
		{in: "fe80::1%eth0", wantErr: "has a zone"},
		{in: "fe80::1%eth0-fe80::2", wantErr: "has a zone"},
		{in: "::ffff:198.18.2.1", wantErr: "IPv4-mapped IPv6 address: write the IPv4 address 198.18.2.1"},
		{in: "::ffff:c612:201", wantErr: "IPv4-mapped"},
		{in: "::ffff:198.18.2.0/120", wantErr: "IPv4-mapped IPv6 address: write the IPv4 CIDR"},
		{in: "::ffff:c612:201-::ffff:c612:202", wantErr: "IPv4-mapped"},
		{in: "010.0.0.1", wantErr: "leading zero"},
		{in: "10.0.0.01-10.0.0.5", wantErr: "leading zero"},
		{in: "10.0.0.0/08", wantErr: "is not a CIDR"},
		{in: "2001:db8::1.2.3.4-2001:db8::1.2.3.5", want: rng("2001:db8::102:304", "2001:db8::102:305")},
		{in: "2001:db8::1-2001:db8::1.2.3.4", want: rng("2001:db8::1", "2001:db8::102:304")},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := config.ParseAddressRange(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseAddressRange(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAddressRange(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got, cmpOpts); diff != "" {
				t.Errorf("ParseAddressRange(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestRangeString(t *testing.T) {
	for _, tc := range []struct {
		r    config.Range
		want string
	}{
		{rng("198.51.100.7", "198.51.100.7"), "198.51.100.7"},
		{rng("203.0.113.0", "203.0.113.255"), "203.0.113.0/24"},
		{rng("10.0.0.0", "10.0.1.255"), "10.0.0.0/23"},
		{rng("10.0.0.0", "10.0.2.255"), "10.0.0.0-10.0.2.255"},
		{rng("10.0.1.0", "10.0.2.255"), "10.0.1.0-10.0.2.255"},
		{rng("0.0.0.0", "255.255.255.255"), "0.0.0.0/0"},
		{rng("198.51.100.200", "198.51.100.250"), "198.51.100.200-198.51.100.250"},
		{rng("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "::/0"},
		{rng("2001:db8::", "2001:db8::ffff:ffff:ffff:ffff"), "2001:db8::/64"},
		{rng("2001:db8::", "2001:db8:0:1:ffff:ffff:ffff:ffff"), "2001:db8::/63"},
		{rng("2001:db8::1", "2001:db8::ff"), "2001:db8::1-2001:db8::ff"},
		{config.Range{}, "invalid range"},
		{rng("10.0.0.2", "10.0.0.1"), "invalid range"},
		{rng("10.0.0.1", "2001:db8::1"), "invalid range"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.r, got, tc.want)
		}
	}
}

func TestRangeContainsOverlaps(t *testing.T) {
	r := rng("198.51.100.200", "198.51.100.250")
	for _, tc := range []struct {
		a    string
		want bool
	}{
		{"198.51.100.199", false},
		{"198.51.100.200", true},
		{"198.51.100.250", true},
		{"198.51.100.251", false},
		{"::ffff:198.51.100.220", false}, // IPv6 here; Unmap to mean IPv4
		{"2001:db8::1", false},
	} {
		if got := r.Contains(netip.MustParseAddr(tc.a)); got != tc.want {
			t.Errorf("%v.Contains(%s) = %v, want %v", r, tc.a, got, tc.want)
		}
	}
	if v6 := rng("fe80::1", "fe80::9"); !v6.Contains(netip.MustParseAddr("fe80::5%eth0")) {
		t.Errorf("%v.Contains(fe80::5%%eth0) = false, want true: a zone is ignored", v6)
	}
	for _, tc := range []struct {
		a, b config.Range
		want bool
	}{
		{rng("10.0.0.0", "10.0.0.9"), rng("10.0.0.9", "10.0.0.20"), true},
		{rng("10.0.0.0", "10.0.0.9"), rng("10.0.0.10", "10.0.0.20"), false},
		{rng("10.0.0.0", "10.0.0.255"), rng("10.0.0.7", "10.0.0.7"), true},
		{rng("0.0.0.0", "255.255.255.255"), rng("::", "::ffff:ffff"), false},
	} {
		if got := tc.a.Overlaps(tc.b); got != tc.want {
			t.Errorf("%v.Overlaps(%v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := tc.b.Overlaps(tc.a); got != tc.want {
			t.Errorf("%v.Overlaps(%v) = %v, want %v", tc.b, tc.a, got, tc.want)
		}
	}
}
