package config

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCover(t *testing.T) {
	a := netip.MustParseAddr
	tests := []struct {
		in   []string
		want []string
	}{
		{nil, nil},
		{[]string{"198.51.100.7"}, []string{"198.51.100.7"}},
		{[]string{"203.0.113.2", "203.0.113.0", "203.0.113.1", "203.0.113.1", "203.0.113.3"}, []string{"203.0.113.0/30"}},
		{[]string{"203.0.113.1", "203.0.113.2", "203.0.113.9"}, []string{"203.0.113.1-203.0.113.2", "203.0.113.9"}},
		// A range never spans families, even where ::ffff:0:0 follows
		// nothing in IPv4.
		{[]string{"2001:db8::1", "255.255.255.255", "2001:db8::2", "::"}, []string{"255.255.255.255", "::", "2001:db8::1-2001:db8::2"}},
	}
	for _, tt := range tests {
		var in []netip.Addr
		for _, s := range tt.in {
			in = append(in, a(s))
		}
		var got []string
		for _, r := range Cover(in) {
			got = append(got, r.String())
			back, err := ParseAddressRange(r.String())
			if err != nil || back != r {
				t.Errorf("%v does not read back: %v, %v", r, back, err)
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Cover(%v) (-want +got):\n%s", tt.in, diff)
		}
	}
}
