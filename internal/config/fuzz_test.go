package config_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/ironlb/ironlb/internal/config"
)

// FuzzParseAddressRange checks the parser against a transcription of the CEL
// rules on v1alpha1.AddressRange (celAcceptsAddress), so that the API server
// and the parser never disagree, and checks the invariants of what it
// returns.
func FuzzParseAddressRange(f *testing.F) {
	for _, s := range []string{
		"198.51.100.7", "2001:db8::1", "203.0.113.0/24", "203.0.113.7/24", "2001:db8:200::/120", "0.0.0.0/0", "::/0",
		"198.51.100.7/32", "2001:db8::7/128", "198.51.100.200-198.51.100.250", "198.51.100.250-198.51.100.200",
		"2001:db8::1-2001:db8::ff", "2001:db8::ff-2001:db8::1", "2001:db8::9-2001:db8::10", "2001:DB8::a-2001:db8::B",
		"198.51.100.1-2001:db8::1", "::ffff:198.18.2.1", "::ffff:198.18.2.0/120", "::ffff:c612:201-::ffff:c612:202",
		"010.0.0.1", "10.0.0.0/08", "2001:db8::1.2.3.4-2001:db8::1.2.3.5", "64:ff9b::198.18.2.1", "fe80::1%eth0",
		"fe80::1%eth0-fe80::2", "", "-", "a-b-c", " 1.2.3.4", "1.2.3.4 - 1.2.3.5", "::-::1", "1::-1::1", "1:2:3:4:5:6:7::-1:2:3:4:5:6:7:8",
		"::1:2:3:4:5:6:7-::1:2:3:4:5:6:8", "1.2.3.4-1.2.3.4", "255.255.255.255-255.255.255.255",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := config.ParseAddressRange(s)
		if cel := celAcceptsAddress(s); (err == nil) != cel {
			t.Fatalf("ParseAddressRange(%q) = %v, %v; CEL accepts: %v", s, r, err, cel)
		}
		if err != nil {
			if r != (config.Range{}) {
				t.Fatalf("ParseAddressRange(%q) = %v with error %v, want the zero Range", s, r, err)
			}
			return
		}
		switch {
		case !r.First.IsValid() || !r.Last.IsValid():
			t.Fatalf("ParseAddressRange(%q) = %#v: invalid ends", s, r)
		case r.First.Is4() != r.Last.Is4():
			t.Fatalf("ParseAddressRange(%q) = %v: ends of two families", s, r)
		case r.Last.Less(r.First):
			t.Fatalf("ParseAddressRange(%q) = %v: First > Last", s, r)
		case r.First.Zone() != "" || r.Last.Zone() != "":
			t.Fatalf("ParseAddressRange(%q) = %v: zone", s, r)
		case r.First.Is4In6() || r.Last.Is4In6():
			t.Fatalf("ParseAddressRange(%q) = %v: IPv4-mapped", s, r)
		case !r.IsValid() || !r.Contains(r.First) || !r.Contains(r.Last) || !r.Overlaps(r):
			t.Fatalf("ParseAddressRange(%q) = %v: fails its own methods", s, r)
		}
		back, err := config.ParseAddressRange(r.String())
		if err != nil || back != r {
			t.Fatalf("ParseAddressRange(%q) = %v, whose String %q parses to %v, %v", s, r, r.String(), back, err)
		}
	})
}

// celAcceptsAddress transcribes, rule by rule, the schema and CEL rules of
// v1alpha1.AddressRange, with the Kubernetes CEL library's isIP and isCIDR
// (net/netip, no zone, no IPv4-mapped address).
func celAcceptsAddress(self string) bool {
	if len(self) < 1 || len(self) > 100 {
		return false
	}
	i := strings.Index(self, "-")
	isRange := i > 0 && i == strings.LastIndex(self, "-") && celIsIP(self[:i]) && celIsIP(self[i+1:])
	if !celIsIP(self) && !celIsCIDR(self) && !isRange {
		return false
	}
	if celIsCIDR(self) {
		p := netip.MustParsePrefix(self)
		if p != p.Masked() {
			return false
		}
	}
	if !isRange {
		return true
	}
	if celFamily(self[:i]) != celFamily(self[i+1:]) {
		return false
	}
	// The CEL rule finds the first differing bit of the two ends by
	// comparing masked prefixes; that is numeric order.
	return netip.MustParseAddr(self[:i]).Compare(netip.MustParseAddr(self[i+1:])) <= 0
}

func celIsIP(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == "" && !a.Is4In6()
}

func celIsCIDR(s string) bool {
	p, err := netip.ParsePrefix(s)
	return err == nil && !p.Addr().Is4In6()
}

func celFamily(s string) int {
	if netip.MustParseAddr(s).Is4() {
		return 4
	}
	return 6
}
