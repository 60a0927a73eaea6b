// Package layer2 answers ARP (IPv4) and NDP (IPv6) for the LoadBalancer
// IPs this node owns, on chosen interfaces, and sends gratuitous ARP and
// unsolicited Neighbor Advertisement bursts when it takes an IP over. It
// never adds an IP to an interface: the kernel does not know the IPs, and
// kube-proxy catches the traffic that our answers attract.
//
// [Announcer] holds the desired state ([Announcer.Apply]: IP -> interfaces)
// and, in [Announcer.Run], keeps one pair of packet sockets open on every
// named interface that is up. [Select] and [Watcher] help the caller pick
// the interfaces.
//
// # Why packet sockets for NDP too
//
// mdlayher/ndp's Conn is an ICMPv6 socket bound to an address of the
// interface. Such a socket sees multicast solicitations for groups it
// joined, but never a unicast solicitation sent to the LoadBalancer IP:
// the kernel does not own that address and drops the packet before any
// socket sees it. Linux and routers send exactly those to check an entry
// (Neighbor Unreachability Detection, RFC 4861 §7.3), and an unanswered
// check deletes the entry and drops traffic until the next multicast
// solicitation (metallb/metallb#2920). Binding also needs a usable
// link-local address, and fails on links without one or before it is
// ready (metallb/metallb#248, #1507, #1680).
//
// So each interface gets an AF_PACKET socket for ETH_P_IPV6 with a BPF
// filter that passes only Neighbor Solicitations, next to the AF_PACKET
// socket for ETH_P_ARP; mdlayher/ndp and mdlayher/arp encode and decode the
// messages. Both sockets see unicast and multicast requests alike, and
// neither needs an address on the interface (mdlayher/arp's Client does:
// arp.New refuses an interface without IPv4). The socket joins the
// solicited-node group of every owned IPv6 address at link level, and a
// separate IPv6 socket joins it at IP level so that the kernel sends MLD
// reports and snooping switches forward the group to us.
//
// # Threads and namespaces
//
// Sockets belong to the network namespace of the thread that opens them.
// Run opens every socket on its own goroutine, so it must be called on a
// goroutine whose thread stays in the namespace to serve: any goroutine in
// the speaker (host namespace), a locked thread in tests.
package layer2
