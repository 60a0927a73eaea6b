//go:build linux

package lab

import (
	"fmt"
	"net/netip"
)

// The second LAN segment, for the layer-2 mode's interface selection: an
// L2Announcement that names LAN2Interface must be answered on lan2 and
// nowhere else. Every node has a leg on it; client2 is its only other member.
//
// Its IPv4 subnet is 198.18.128.0/24, not one in 198.19.0.0/16: the lab's
// kube-apiserver allocates ClusterIPs from 198.19.0.0/16
// (internal/testenv.ServiceCIDRs), so a node address there could be handed
// out again as a Service IP. 198.18.64.0/18 and 198.18.200.0/24 are e2e
// pools, and 198.18.0-9.0/24 the outside network and the pods.
const (
	// LAN2 is the namespace with the second segment's bridge. It is a
	// namespace of its own rather than a second bridge in LAN, so that no
	// misconfiguration can bridge the two segments.
	LAN2 = "lan2"
	// Client2 is a host on lan2 only. It has no default route: it reaches
	// the nodes' lan2 addresses and whatever is announced on lan2 in the
	// lan2 subnets (LAN2Pool), nothing else.
	Client2 = "client2"

	// LANInterface is every LAN member's link to the LAN (node, routers,
	// client) and client2's link to lan2: a member's only or main link is
	// always eth0.
	LANInterface = lanIf
	// LAN2Interface is a node's link to lan2.
	LAN2Interface = "eth1"

	// LAN2Pool holds addresses for layer-2 announcements on lan2 that
	// client2 can open connections to (it has no route to L2Pool).
	LAN2Pool  = "198.18.128.200-198.18.128.250"
	LAN2Pool6 = "2001:db8:101::200-2001:db8:101::250"
)

// LAN2Prefix is the second segment's subnet: 198.18.128.0/24 or
// 2001:db8:101::/64.
func LAN2Prefix(family int) netip.Prefix {
	return netip.PrefixFrom(pick(family, "198.18.128.0", "2001:db8:101::"), bits(family, 24, 64))
}

// NodeLAN2Addr is node i's address on lan2 (its eth1): 198.18.128.1i or
// 2001:db8:101::1i. The node's InternalIP stays its LAN address.
func NodeLAN2Addr(i, family int) netip.Addr {
	checkNode(i)
	return pick(family, fmt.Sprintf("198.18.128.%d", 10+i), fmt.Sprintf("2001:db8:101::%d", 10+i))
}

// Client2Addr is client2's address on lan2.
func Client2Addr(family int) netip.Addr { return pick(family, "198.18.128.100", "2001:db8:101::100") }

// clientSysctls make a client (Client, Client2) learn a neighbour from an
// unsolicited Neighbor Advertisement: Linux creates an entry for one only on
// an interface that forwards and has accept_untracked_na=1 (RFC 9131; as
// TESTBED measured). Without them a test could not see an announcer's
// unsolicited NA unless the client already had an entry for the address.
// The client never gets a route that would make it forward anything.
//
// ARP is left at the Linux defaults on purpose (arp_accept=0), so tests
// see what real hosts do, as testGratuitousARP measures: a gratuitous ARP
// never creates an entry, it only updates one the client has because it
// talks to the address. A gratuitous request (sender IP = target IP)
// replaces the MAC at once; a gratuitous reply whose target MAC is
// broadcast is an ordinary reply to Linux and replaces it only once the
// entry is older than locktime (1 s). A client without an entry resolves
// the address afresh with a request, so it never sees a stale MAC.
func clientSysctls(ifName string) []string {
	return []string{
		"net.ipv6.conf.all.forwarding", "1",
		"net.ipv6.conf.default.forwarding", "1",
		"net.ipv6.conf.default.accept_untracked_na", "1",
		"net.ipv6.conf." + ifName + ".accept_untracked_na", "1",
	}
}

// buildLAN2 builds the second segment: a bridge in LAN2, an eth1 on it in
// every node and client2's eth0. The namespaces exist already.
func (l *Lab) buildLAN2() error {
	if err := l.sysctl(LAN2, "net.ipv6.conf.all.disable_ipv6", "1", "net.ipv6.conf.default.disable_ipv6", "1"); err != nil {
		return err
	}
	if err := l.makeBridge(LAN2); err != nil {
		return err
	}
	if err := l.veth(LAN2, Client2, Client2, lanIf, lanBridge); err != nil {
		return err
	}
	if err := l.addrUp(Client2, lanIf, pfx(Client2Addr(4), 24), pfx(Client2Addr(6), 64)); err != nil {
		return err
	}
	if err := l.sysctl(Client2, clientSysctls(lanIf)...); err != nil {
		return err
	}
	for i := 1; i <= l.opts.nodes(); i++ {
		node := NodeName(i)
		if err := l.veth(LAN2, node, node, LAN2Interface, lanBridge); err != nil {
			return err
		}
		if err := l.addrUp(node, LAN2Interface, pfx(NodeLAN2Addr(i, 4), 24), pfx(NodeLAN2Addr(i, 6), 64)); err != nil {
			return err
		}
	}
	return nil
}
