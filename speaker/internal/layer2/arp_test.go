package layer2

import (
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/arp"
)

var (
	nodeMAC   = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x11}
	clientMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x64}
	owned4    = netip.MustParseAddr("198.51.100.200")
	clientIP4 = netip.MustParseAddr("198.51.100.100")
)

func ownsOnly(ips ...netip.Addr) func(netip.Addr) bool {
	return func(ip netip.Addr) bool {
		for _, o := range ips {
			if ip == o {
				return true
			}
		}
		return false
	}
}

func TestARPReply(t *testing.T) {
	request := func(op arp.Operation, sha net.HardwareAddr, spa, tpa netip.Addr) *arp.Packet {
		p, err := arp.NewPacket(op, sha, spa, net.HardwareAddr{0, 0, 0, 0, 0, 0}, tpa)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	reply := func(spa, tpa netip.Addr) *arp.Packet {
		p, err := arp.NewPacket(arp.OperationReply, nodeMAC, spa, clientMAC, tpa)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	otherHW := request(arp.OperationRequest, clientMAC, clientIP4, owned4)
	otherHW.HardwareType = 6
	tests := []struct {
		name string
		req  *arp.Packet
		want *arp.Packet
	}{
		{"request for an owned IP", request(arp.OperationRequest, clientMAC, clientIP4, owned4), reply(owned4, clientIP4)},
		{"request for another IP", request(arp.OperationRequest, clientMAC, clientIP4, netip.MustParseAddr("198.51.100.201")), nil},
		{"probe (RFC 5227) is defended", request(arp.OperationRequest, clientMAC, netip.IPv4Unspecified(), owned4), reply(owned4, netip.IPv4Unspecified())},
		{"someone else's announcement is not a question", request(arp.OperationRequest, clientMAC, owned4, owned4), nil},
		{"a reply is not a question", request(arp.OperationReply, clientMAC, clientIP4, owned4), nil},
		{"our own request", request(arp.OperationRequest, nodeMAC, clientIP4, owned4), nil},
		{"multicast sender", request(arp.OperationRequest, net.HardwareAddr{0x01, 0, 0x5e, 0, 0, 1}, clientIP4, owned4), nil},
		{"not Ethernet", otherHW, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := arpReply(tc.req, nodeMAC, ownsOnly(owned4))
			if ok != (tc.want != nil) {
				t.Fatalf("arpReply answered %v, want %v", ok, tc.want != nil)
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("arpReply (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGratuitousARP(t *testing.T) {
	p, err := gratuitousARP(nodeMAC, owned4)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got arp.Packet
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	want := arp.Packet{
		HardwareType: 1, ProtocolType: 0x0800, HardwareAddrLength: 6, IPLength: 4,
		Operation:          arp.OperationRequest,
		SenderHardwareAddr: nodeMAC, SenderIP: owned4,
		TargetHardwareAddr: net.HardwareAddr{0, 0, 0, 0, 0, 0}, TargetIP: owned4,
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("gratuitous ARP (-want +got):\n%s", diff)
	}
}
