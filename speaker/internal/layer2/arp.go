package layer2

import (
	"bytes"
	"net"
	"net/netip"

	"github.com/mdlayher/arp"
)

// ARP over Ethernet carrying IPv4 (RFC 826).
const (
	arpHardwareEthernet = 1
	arpProtocolIPv4     = 0x0800
)

var (
	broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	zeroMAC      = net.HardwareAddr{0, 0, 0, 0, 0, 0}
)

// arpReply returns the reply to req when it asks for an address that owns
// reports as ours, from the interface with address mac.
//
// An ARP probe (RFC 5227, sender IP 0.0.0.0) is answered too: the address
// is in use, and the reply is how the prober learns it, exactly as Linux
// defends its own addresses. A packet whose sender and target IP are equal
// is an announcement by someone else, not a question, and is never
// answered: replying would only start a war over the entry. Our own frames
// are ignored in case the socket sees outgoing packets.
func arpReply(req *arp.Packet, mac net.HardwareAddr, owns func(netip.Addr) bool) (*arp.Packet, bool) {
	if req.Operation != arp.OperationRequest ||
		req.HardwareType != arpHardwareEthernet || req.ProtocolType != arpProtocolIPv4 ||
		req.HardwareAddrLength != 6 || req.IPLength != 4 {
		return nil, false
	}
	if !req.TargetIP.Is4() || req.SenderIP == req.TargetIP || !owns(req.TargetIP) {
		return nil, false
	}
	if bytes.Equal(req.SenderHardwareAddr, mac) || isMulticastMAC(req.SenderHardwareAddr) {
		return nil, false
	}
	p, err := arp.NewPacket(arp.OperationReply, mac, req.TargetIP, req.SenderHardwareAddr, req.SenderIP)
	if err != nil {
		return nil, false
	}
	return p, true
}

// gratuitousARP returns the announcement that ip is at mac.
//
// It is an ARP request with sender IP = target IP and a zero target MAC,
// which RFC 5227 §3 calls an ARP Announcement, broadcast by the caller. A
// request rather than a reply because Linux's arp_is_garp() treats a
// request with sender = target as gratuitous whatever the target MAC, and a
// gratuitous packet overrides an existing entry even inside its 1 s
// locktime, while a reply counts as gratuitous only if its target MAC
// equals its sender MAC and is otherwise subject to locktime. Neither
// creates an entry unless the receiver sets arp_accept.
func gratuitousARP(mac net.HardwareAddr, ip netip.Addr) (*arp.Packet, error) {
	return arp.NewPacket(arp.OperationRequest, mac, ip, zeroMAC, ip)
}

func isMulticastMAC(mac net.HardwareAddr) bool {
	return len(mac) > 0 && mac[0]&1 == 1
}
