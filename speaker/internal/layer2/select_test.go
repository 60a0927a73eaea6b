package layer2

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelect(t *testing.T) {
	lan := netip.MustParsePrefix("198.51.100.0/24")
	lan6 := netip.MustParsePrefix("2001:db8:100::/64")
	p := netip.MustParsePrefix
	links := []Link{
		{Name: "lo", Up: true, Loopback: true, Kind: "device", Prefixes: []netip.Prefix{p("127.0.0.1/8"), p("198.51.100.200/32")}},
		{Name: "eth0", Up: true, Kind: "veth", Prefixes: []netip.Prefix{p("198.51.100.11/24"), p("fe80::1/64")}},
		{Name: "eth1", Up: true, Kind: "device", Prefixes: []netip.Prefix{p("2001:db8:100::11/64")}},
		{Name: "eth2", Up: false, Kind: "device", Prefixes: []netip.Prefix{p("198.51.100.12/24")}},
		{Name: "br0", Up: true, Kind: "bridge", Prefixes: []netip.Prefix{p("198.51.100.13/24")}},
		{Name: "enp1s0", Up: true, Kind: "device", Enslaved: true, Prefixes: []netip.Prefix{p("198.51.100.14/24")}},
		{Name: "kube-ipvs0", Up: true, Kind: "dummy", Prefixes: []netip.Prefix{p("198.51.100.200/32")}},
		{Name: "vxlan.calico", Up: true, Kind: "vxlan", Prefixes: []netip.Prefix{p("198.51.100.15/24")}},
		{Name: "wg0", Up: true, Kind: "wireguard", Prefixes: []netip.Prefix{p("198.51.100.16/24")}},
		{Name: "cni0", Up: true, Kind: "bridge", Prefixes: []netip.Prefix{p("10.244.0.1/24")}},
		{Name: "br-ex", Up: true, Kind: "openvswitch", Prefixes: []netip.Prefix{p("198.51.100.17/24")}},
	}
	tests := []struct {
		name     string
		patterns []string
		subnets  []netip.Prefix
		want     []string
	}{
		{
			name:    "node subnet: veth, bridge and OVS port allowed; down, loopback, enslaved, virtual and other subnets not",
			subnets: []netip.Prefix{lan},
			want:    []string{"br-ex", "br0", "eth0"},
		},
		{
			name:    "IPv6 node subnet",
			subnets: []netip.Prefix{lan6},
			want:    []string{"eth1"},
		},
		{
			name:    "node address as a host prefix: the links whose subnet holds it",
			subnets: []netip.Prefix{p("198.51.100.11/32")},
			want:    []string{"br-ex", "br0", "eth0"},
		},
		{
			name:    "wider subnet",
			subnets: []netip.Prefix{p("198.51.0.0/16")},
			want:    []string{"br-ex", "br0", "eth0"},
		},
		{
			name: "no subnet, no pattern",
		},
		{
			name:     "patterns pick enslaved and virtual links, not down or loopback ones",
			patterns: []string{"enp*", "wg0", "eth*", "lo"},
			subnets:  []netip.Prefix{lan},
			want:     []string{"enp1s0", "eth0", "eth1", "wg0"},
		},
		{
			name:     "overlapping patterns give each link once",
			patterns: []string{"eth0", "eth?", "*0"},
			want:     []string{"br0", "cni0", "enp1s0", "eth0", "eth1", "kube-ipvs0", "wg0"},
		},
		{
			name:     "malformed glob matches nothing",
			patterns: []string{"eth["},
			subnets:  []netip.Prefix{lan},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Select(links, tc.patterns, tc.subnets)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Select (-want +got):\n%s", diff)
			}
		})
	}
}
