//go:build linux

package lab

import (
	"fmt"
	"net"
	"net/netip"
)

// Autonomous systems of the lab: the FRR router is the nodes' eBGP peer, the
// BIRD router shares the nodes' AS and is their iBGP peer.
const (
	RouterASN = 64500
	NodeASN   = 64512
)

// Address pools of DESIGN.md §5, in the syntax of an IPPool.
const (
	BGPPool  = "203.0.113.0/24"
	L2Pool   = "198.51.100.200-198.51.100.250"
	IPv6Pool = "2001:db8:200::/120"
)

const (
	// MaxNodes is the most nodes a lab has: node i's addresses end in 1i.
	MaxNodes = 9
	// PodPort is the TCP port of the pod backends.
	PodPort = 8080
	// lanBridge is the bridge in the LAN and LAN2 namespaces.
	lanBridge = "br0"
)

// Names of the fixed namespaces, as passed to [Lab.NS] and the methods that
// take a namespace.
const (
	LAN     = "lan"
	Router  = "router"  // FRR
	Router2 = "router2" // BIRD
	Client  = "client"
	Ext     = "ext"
)

// NodeName is the name of node i (1-based): node1, node2, … It is the
// namespace name and the Kubernetes node name.
func NodeName(i int) string { return fmt.Sprintf("node%d", i) }

// PodName is the name of the pod namespace of node i.
func PodName(i int) string { return fmt.Sprintf("pod%d", i) }

func pick(family int, v4, v6 string) netip.Addr {
	switch family {
	case 4:
		return netip.MustParseAddr(v4)
	case 6:
		return netip.MustParseAddr(v6)
	}
	panic(fmt.Sprintf("lab: family %d is neither 4 nor 6", family))
}

// LANPrefix is the LAN subnet: 198.51.100.0/24 or 2001:db8:100::/64.
func LANPrefix(family int) netip.Prefix {
	return netip.PrefixFrom(pick(family, "198.51.100.0", "2001:db8:100::"), bits(family, 24, 64))
}

// ExtPrefix is the outside network behind the FRR router.
func ExtPrefix(family int) netip.Prefix {
	return netip.PrefixFrom(pick(family, "198.18.0.0", "2001:db8:ff::"), bits(family, 24, 64))
}

// RouterAddr is the FRR router's LAN address, the nodes' default gateway.
func RouterAddr(family int) netip.Addr { return pick(family, "198.51.100.1", "2001:db8:100::1") }

// Router2Addr is the BIRD router's LAN address.
func Router2Addr(family int) netip.Addr { return pick(family, "198.51.100.2", "2001:db8:100::2") }

// ClientAddr is the client's LAN address.
func ClientAddr(family int) netip.Addr { return pick(family, "198.51.100.100", "2001:db8:100::100") }

// RouterExtAddr is the FRR router's address on the outside network.
func RouterExtAddr(family int) netip.Addr { return pick(family, "198.18.0.1", "2001:db8:ff::1") }

// ExtAddr is the address of the host on the outside network.
func ExtAddr(family int) netip.Addr { return pick(family, "198.18.0.2", "2001:db8:ff::2") }

// NodeAddr is node i's LAN address: 198.51.100.1i or 2001:db8:100::1i.
func NodeAddr(i, family int) netip.Addr {
	checkNode(i)
	return pick(family, fmt.Sprintf("198.51.100.%d", 10+i), fmt.Sprintf("2001:db8:100::%d", 10+i))
}

// PodPrefix is the subnet between node i and its pod: 198.18.i.0/24 or
// 2001:db8:1i::/64.
func PodPrefix(i, family int) netip.Prefix {
	checkNode(i)
	return netip.PrefixFrom(pick(family, fmt.Sprintf("198.18.%d.0", i), fmt.Sprintf("2001:db8:1%d::", i)),
		bits(family, 24, 64))
}

// PodGateway is node i's address on its pod subnet.
func PodGateway(i, family int) netip.Addr {
	checkNode(i)
	return pick(family, fmt.Sprintf("198.18.%d.1", i), fmt.Sprintf("2001:db8:1%d::1", i))
}

// PodAddr is the address of node i's pod, where its backend listens on
// [PodPort].
func PodAddr(i, family int) netip.Addr {
	checkNode(i)
	return pick(family, fmt.Sprintf("198.18.%d.10", i), fmt.Sprintf("2001:db8:1%d::10", i))
}

func bits(family, v4, v6 int) int {
	if family == 4 {
		return v4
	}
	return v6
}

func checkNode(i int) {
	if i < 1 || i > MaxNodes {
		panic(fmt.Sprintf("lab: node %d outside 1..%d", i, MaxNodes))
	}
}

func pfx(a netip.Addr, bits int) netip.Prefix { return netip.PrefixFrom(a, bits) }

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// prefixOf converts a kernel destination to a masked prefix, IPv4 unmapped.
func prefixOf(ip net.IP, mask net.IPMask) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := mask.Size()
	a = a.Unmap()
	p, err := a.Prefix(ones)
	return p, err == nil
}
