package layer2

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"

	"github.com/mdlayher/ndp"
)

// The NDP responder works on whole IPv6 packets from a packet socket, not
// on an ICMPv6 socket: see link.go for why. This file parses and builds
// those packets; mdlayher/ndp handles the ICMPv6 bodies.

const (
	ipv6HeaderLen = 40
	protoICMPv6   = 58
	// RFC 4861 §7.1: a hop limit of 255 proves the packet was not routed.
	ndpHopLimit = 255
	icmpNS      = 135
)

var (
	allNodes         = netip.MustParseAddr("ff02::1")
	solicitedNodeNet = netip.MustParsePrefix("ff02::1:ff00:0/104")
)

var (
	errNotSolicitation = errors.New("not a valid neighbor solicitation")
	errNoReturnMAC     = errors.New("solicitation without a unicast source MAC")
)

// solicitation is a Neighbor Solicitation as it arrived.
type solicitation struct {
	src, dst, target netip.Addr
	// srcLL is the Source Link-Layer Address option, nil when absent.
	srcLL net.HardwareAddr
}

// dad reports whether the solicitation is a Duplicate Address Detection
// probe (RFC 4862 §5.4), sent from the unspecified address.
func (s solicitation) dad() bool { return s.src.IsUnspecified() }

// parseSolicitation validates b, an IPv6 packet, as RFC 4861 §7.1.1 asks
// of a Neighbor Solicitation. Packets with extension headers are not
// solicitations we answer: hosts send NS without them.
func parseSolicitation(b []byte) (solicitation, error) {
	if len(b) < ipv6HeaderLen || b[0]>>4 != 6 || b[6] != protoICMPv6 || b[7] != ndpHopLimit {
		return solicitation{}, errNotSolicitation
	}
	n := int(binary.BigEndian.Uint16(b[4:6]))
	if len(b) < ipv6HeaderLen+n {
		return solicitation{}, errNotSolicitation
	}
	src := netip.AddrFrom16([16]byte(b[8:24]))
	dst := netip.AddrFrom16([16]byte(b[24:40]))
	body := b[ipv6HeaderLen : ipv6HeaderLen+n]
	if len(body) < 24 || body[0] != icmpNS || body[1] != 0 || !checksumOK(src, dst, body) {
		return solicitation{}, errNotSolicitation
	}
	m, err := ndp.ParseMessage(body)
	if err != nil {
		return solicitation{}, errNotSolicitation
	}
	ns, ok := m.(*ndp.NeighborSolicitation)
	if !ok || ns.TargetAddress.IsMulticast() || src.IsMulticast() {
		return solicitation{}, errNotSolicitation
	}
	s := solicitation{src: src, dst: dst, target: ns.TargetAddress}
	for _, o := range ns.Options {
		if lla, ok := o.(*ndp.LinkLayerAddress); ok && lla.Direction == ndp.Source {
			s.srcLL = lla.Addr
		}
	}
	if s.dad() && (!solicitedNodeNet.Contains(dst) || s.srcLL != nil) {
		return solicitation{}, errNotSolicitation
	}
	return s, nil
}

// advertisement returns an IPv6 packet carrying a Neighbor Advertisement
// that target is at mac, sent to dst, and the MAC to send it to (ethDst
// when dst is unicast).
//
// The source address is the target itself, as a host answering for its own
// address would send it. Receivers do not check the source of an NA, and
// using the target means the responder needs no address of its own on the
// interface. Override is always set: after a failover the entry must move
// to the new owner (RFC 4861 §7.2.6). Router is never set.
func advertisement(target, dst netip.Addr, ethDst, mac net.HardwareAddr, solicited bool) ([]byte, net.HardwareAddr, error) {
	na := &ndp.NeighborAdvertisement{
		Solicited:     solicited,
		Override:      true,
		TargetAddress: target,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: mac}},
	}
	body, err := ndp.MarshalMessageChecksum(na, target, dst)
	if err != nil {
		return nil, nil, err
	}
	b := make([]byte, ipv6HeaderLen, ipv6HeaderLen+len(body))
	b[0] = 6 << 4
	binary.BigEndian.PutUint16(b[4:6], uint16(len(body)))
	b[6] = protoICMPv6
	b[7] = ndpHopLimit
	s, d := target.As16(), dst.As16()
	copy(b[8:24], s[:])
	copy(b[24:40], d[:])
	b = append(b, body...)
	if dst.IsMulticast() {
		ethDst = multicastMAC(dst)
	}
	return b, ethDst, nil
}

// reply returns the advertisement answering s, and where it goes.
//
// A DAD probe for an address we own is answered as RFC 4861 §7.2.4 says:
// Solicited clear, multicast to all-nodes. That is how the prober learns
// the address is taken, which is DAD working, not broken; we never answer
// a probe for an address we do not own, and never with Solicited set (a
// multicast NA with Solicited set is invalid, RFC 4861 §7.1.2, and
// receivers drop it). Otherwise the answer goes to the solicitation's source, at the
// Source Link-Layer Address it gave or, for a unicast NUD probe that
// carries none, at the MAC the frame came from.
func reply(s solicitation, frameSrc, mac net.HardwareAddr) ([]byte, net.HardwareAddr, error) {
	if s.dad() {
		return advertisement(s.target, allNodes, nil, mac, false)
	}
	to := s.srcLL
	if to == nil {
		to = frameSrc
	}
	if len(to) != 6 || isMulticastMAC(to) {
		return nil, nil, errNoReturnMAC
	}
	return advertisement(s.target, s.src, to, mac, true)
}

// unsolicited returns the advertisement sent on takeover: to all-nodes,
// Override set, Solicited clear (RFC 4861 §7.2.6).
func unsolicited(ip netip.Addr, mac net.HardwareAddr) ([]byte, net.HardwareAddr, error) {
	return advertisement(ip, allNodes, nil, mac, false)
}

// multicastMAC maps an IPv6 multicast address to its Ethernet group
// (RFC 2464 §7).
func multicastMAC(ip netip.Addr) net.HardwareAddr {
	a := ip.As16()
	return net.HardwareAddr{0x33, 0x33, a[12], a[13], a[14], a[15]}
}

// checksumOK verifies an ICMPv6 checksum over the pseudo-header of RFC
// 8200 §8.1. The kernel does not check it for packet sockets.
func checksumOK(src, dst netip.Addr, body []byte) bool {
	var sum uint32
	add := func(b []byte) {
		for len(b) >= 2 {
			sum += uint32(binary.BigEndian.Uint16(b))
			b = b[2:]
		}
		if len(b) == 1 {
			sum += uint32(b[0]) << 8
		}
	}
	s, d := src.As16(), dst.As16()
	add(s[:])
	add(d[:])
	n := uint32(len(body))
	sum += n>>16 + n&0xffff + protoICMPv6
	add(body)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return sum == 0xffff
}
