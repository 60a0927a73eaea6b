package layer2

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
)

var (
	owned6    = netip.MustParseAddr("2001:db8:100::200")
	clientIP6 = netip.MustParseAddr("2001:db8:100::100")
)

// ipv6Packet wraps an NDP message in an IPv6 header, as a packet socket
// delivers it.
func ipv6Packet(t testing.TB, m ndp.Message, src, dst netip.Addr, hopLimit byte) []byte {
	t.Helper()
	body, err := ndp.MarshalMessageChecksum(m, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, ipv6HeaderLen, ipv6HeaderLen+len(body))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:6], uint16(len(body)))
	b[6], b[7] = protoICMPv6, hopLimit
	s, d := src.As16(), dst.As16()
	copy(b[8:24], s[:])
	copy(b[24:40], d[:])
	return append(b, body...)
}

func ns(target netip.Addr, slla net.HardwareAddr) *ndp.NeighborSolicitation {
	m := &ndp.NeighborSolicitation{TargetAddress: target}
	if slla != nil {
		m.Options = []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Source, Addr: slla}}
	}
	return m
}

func TestParseSolicitation(t *testing.T) {
	snm, _ := ndp.SolicitedNodeMulticast(owned6)
	valid := ipv6Packet(t, ns(owned6, clientMAC), clientIP6, snm, 255)
	mutate := func(f func(b []byte)) []byte {
		b := append([]byte(nil), valid...)
		f(b)
		return b
	}
	tests := []struct {
		name string
		b    []byte
		want *solicitation
	}{
		{"multicast with source link-layer address", valid,
			&solicitation{src: clientIP6, dst: snm, target: owned6, srcLL: clientMAC}},
		{"unicast NUD probe without it", ipv6Packet(t, ns(owned6, nil), clientIP6, owned6, 255),
			&solicitation{src: clientIP6, dst: owned6, target: owned6}},
		{"DAD probe", ipv6Packet(t, ns(owned6, nil), netip.IPv6Unspecified(), snm, 255),
			&solicitation{src: netip.IPv6Unspecified(), dst: snm, target: owned6}},
		{"DAD probe with a source link-layer address", ipv6Packet(t, ns(owned6, clientMAC), netip.IPv6Unspecified(), snm, 255), nil},
		{"DAD probe not to the solicited-node group", ipv6Packet(t, ns(owned6, nil), netip.IPv6Unspecified(), owned6, 255), nil},
		{"routed (hop limit 254)", ipv6Packet(t, ns(owned6, clientMAC), clientIP6, snm, 254), nil},
		{"bad checksum", mutate(func(b []byte) { b[len(b)-1] ^= 1 }), nil},
		{"ICMP code not 0", mutate(func(b []byte) { b[ipv6HeaderLen+1] = 1 }), nil},
		{"truncated", valid[:len(valid)-4], nil},
		{"shorter than its header", valid[:30], nil},
		{"not IPv6", mutate(func(b []byte) { b[0] = 0x40 }), nil},
		{"extension header", mutate(func(b []byte) { b[6] = 0 }), nil},
		{"multicast target", ipv6Packet(t, ns(snm, clientMAC), clientIP6, snm, 255), nil},
		{"advertisement", ipv6Packet(t, &ndp.NeighborAdvertisement{TargetAddress: owned6}, clientIP6, allNodes, 255), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSolicitation(tc.b)
			if (err == nil) != (tc.want != nil) {
				t.Fatalf("parseSolicitation error = %v, want valid %v", err, tc.want != nil)
			}
			if tc.want == nil {
				return
			}
			if diff := cmp.Diff(*tc.want, got, cmp.AllowUnexported(solicitation{}), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("parseSolicitation (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReply(t *testing.T) {
	snm, _ := ndp.SolicitedNodeMulticast(owned6)
	frameSrc := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x65}
	tests := []struct {
		name      string
		s         solicitation
		wantDst   netip.Addr
		wantMAC   net.HardwareAddr
		solicited bool
	}{
		{"address resolution", solicitation{src: clientIP6, dst: snm, target: owned6, srcLL: clientMAC}, clientIP6, clientMAC, true},
		{"NUD probe: to the frame's source", solicitation{src: clientIP6, dst: owned6, target: owned6}, clientIP6, frameSrc, true},
		{"DAD: all-nodes, not solicited", solicitation{src: netip.IPv6Unspecified(), dst: snm, target: owned6}, allNodes, net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, mac, err := reply(tc.s, frameSrc, nodeMAC)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantMAC, mac); diff != "" {
				t.Errorf("Ethernet destination (-want +got):\n%s", diff)
			}
			checkAdvertisement(t, b, tc.wantDst, &ndp.NeighborAdvertisement{
				Solicited: tc.solicited, Override: true, TargetAddress: owned6,
				Options: []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: nodeMAC}},
			})
		})
	}
}

func TestUnsolicited(t *testing.T) {
	b, mac, err := unsolicited(owned6, nodeMAC)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}, mac); diff != "" {
		t.Errorf("Ethernet destination (-want +got):\n%s", diff)
	}
	checkAdvertisement(t, b, allNodes, &ndp.NeighborAdvertisement{
		Override: true, TargetAddress: owned6,
		Options: []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: nodeMAC}},
	})
}

// checkAdvertisement checks the IPv6 header and checksum of b and decodes
// its NA.
func checkAdvertisement(t *testing.T, b []byte, dst netip.Addr, want *ndp.NeighborAdvertisement) {
	t.Helper()
	if len(b) < ipv6HeaderLen || b[0] != 0x60 || b[6] != protoICMPv6 || b[7] != 255 ||
		int(binary.BigEndian.Uint16(b[4:6])) != len(b)-ipv6HeaderLen {
		t.Fatalf("bad IPv6 header % x", b[:min(len(b), ipv6HeaderLen)])
	}
	src, gotDst := netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
	if src != want.TargetAddress || gotDst != dst {
		t.Errorf("addresses %v -> %v, want %v -> %v", src, gotDst, want.TargetAddress, dst)
	}
	if !checksumOK(src, gotDst, b[ipv6HeaderLen:]) {
		t.Error("bad ICMPv6 checksum")
	}
	m, err := ndp.ParseMessage(b[ipv6HeaderLen:])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, m, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("advertisement (-want +got):\n%s", diff)
	}
}

func FuzzParseSolicitation(f *testing.F) {
	snm, _ := ndp.SolicitedNodeMulticast(owned6)
	f.Add(ipv6Packet(f, ns(owned6, clientMAC), clientIP6, snm, 255))
	f.Add(ipv6Packet(f, ns(owned6, nil), netip.IPv6Unspecified(), snm, 255))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseSolicitation(b)
		if err != nil {
			return
		}
		if s.target.IsMulticast() || !s.target.Is6() {
			t.Fatalf("accepted target %v", s.target)
		}
		if _, _, err := reply(s, clientMAC, nodeMAC); err != nil && s.srcLL != nil && len(s.srcLL) == 6 && !isMulticastMAC(s.srcLL) {
			t.Fatalf("no reply to a valid solicitation: %v", err)
		}
	})
}
