package layer2

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

var errLinkClosed = errors.New("link closed")

// link is one interface the Announcer has sockets on.
type link struct {
	name  string
	index int
	mac   net.HardwareAddr

	// arp carries ARP payloads and ndp IPv6 packets (both without the
	// Ethernet header; the kernel adds it on send, to the packet.Addr
	// given). Tests may pass any net.PacketConn.
	arp, ndp net.PacketConn
	// mld is an IPv6 socket used only for IP-level group membership, or
	// -1 when IPv6 is off in the kernel.
	mld int

	// answer is the set of IPs the readers answer for; swapped under
	// Announcer.mu, read without a lock.
	answer atomic.Pointer[addrSet]
	// groups counts the owned IPv6 addresses per solicited-node group (two
	// addresses with the same low 24 bits share one). Guarded by
	// Announcer.mu.
	groups map[netip.Addr]int

	// wmu orders writes against close, so nothing is written to a closed
	// socket and a send racing a close is not counted as an error.
	wmu    sync.Mutex
	closed atomic.Bool
	// failed is set by a reader that stopped on an unexpected error.
	failed atomic.Bool
}

func newLink(name string, index int, mac net.HardwareAddr, arpConn, ndpConn net.PacketConn, mld int) *link {
	l := &link{name: name, index: index, mac: mac, arp: arpConn, ndp: ndpConn, mld: mld, groups: map[netip.Addr]int{}}
	l.answer.Store(&addrSet{})
	return l
}

// openLink opens the sockets of ifi. It must run on a thread in ifi's
// network namespace.
func openLink(ifi *net.Interface) (*link, error) {
	if len(ifi.HardwareAddr) != 6 {
		return nil, fmt.Errorf("interface %s has no Ethernet address", ifi.Name)
	}
	a, err := packet.Listen(ifi, packet.Datagram, unix.ETH_P_ARP, nil)
	if err != nil {
		return nil, fmt.Errorf("open ARP socket on %s: %w", ifi.Name, err)
	}
	filter, err := bpf.Assemble(nsFilter())
	if err != nil {
		_ = a.Close()
		return nil, fmt.Errorf("assemble NDP filter: %w", err)
	}
	n, err := packet.Listen(ifi, packet.Datagram, unix.ETH_P_IPV6, &packet.Config{Filter: filter})
	if err != nil {
		_ = a.Close()
		return nil, fmt.Errorf("open NDP socket on %s: %w", ifi.Name, err)
	}
	ignoreOutgoing(a)
	ignoreOutgoing(n)
	mld, err := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		mld = -1 // no IPv6 in this kernel: link-level membership still works
	}
	return newLink(ifi.Name, ifi.Index, ifi.HardwareAddr, a, n, mld), nil
}

// nsFilter passes IPv6 packets whose next header is ICMPv6 and whose
// ICMPv6 type is Neighbor Solicitation, so the reader never wakes for
// ordinary traffic. Offsets start at the IPv6 header: on a SOCK_DGRAM
// packet socket the filter does not see the link-layer header.
func nsFilter() []bpf.Instruction {
	return []bpf.Instruction{
		bpf.LoadAbsolute{Off: 6, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: protoICMPv6, SkipFalse: 3},
		bpf.LoadAbsolute{Off: ipv6HeaderLen, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: icmpNS, SkipFalse: 1},
		bpf.RetConstant{Val: 0xffff},
		bpf.RetConstant{Val: 0},
	}
}

// ignoreOutgoing asks the kernel (4.20+) not to hand our own sends back to
// us. Best effort: the readers also drop frames from our MAC.
func ignoreOutgoing(c *packet.Conn) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
	})
}

func (l *link) owns(ip netip.Addr) bool {
	_, ok := (*l.answer.Load())[ip]
	return ok
}

// write sends b to the Ethernet address to, unless the link is closed.
func (l *link) write(c net.PacketConn, b []byte, to net.HardwareAddr) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.closed.Load() {
		return errLinkClosed
	}
	_, err := c.WriteTo(b, &packet.Addr{HardwareAddr: to})
	return err
}

// close closes the sockets; the readers then stop. Leaving the groups is
// implicit: the kernel drops a socket's memberships with it.
func (l *link) close() {
	l.wmu.Lock()
	l.closed.Store(true)
	l.wmu.Unlock()
	_ = l.arp.Close()
	_ = l.ndp.Close()
	if l.mld >= 0 {
		_ = unix.Close(l.mld)
	}
}

// join and leave keep the membership of ip's solicited-node group: at link
// level on the packet socket (so the NIC's filter passes the group) and at
// IP level (so the kernel sends MLD reports for snooping switches).
func (l *link) join(ip netip.Addr) error {
	g, err := ndp.SolicitedNodeMulticast(ip)
	if err != nil {
		return err
	}
	if l.groups[g]++; l.groups[g] > 1 {
		return nil
	}
	return l.membership(g, true)
}

func (l *link) leave(ip netip.Addr) error {
	g, err := ndp.SolicitedNodeMulticast(ip)
	if err != nil {
		return err
	}
	if l.groups[g]--; l.groups[g] > 0 {
		return nil
	}
	delete(l.groups, g)
	return l.membership(g, false)
}

type groupMember interface {
	JoinGroup(net.HardwareAddr) error
	LeaveGroup(net.HardwareAddr) error
}

func (l *link) membership(g netip.Addr, join bool) error {
	var errs []error
	if m, ok := l.ndp.(groupMember); ok {
		if join {
			errs = append(errs, m.JoinGroup(multicastMAC(g)))
		} else {
			errs = append(errs, m.LeaveGroup(multicastMAC(g)))
		}
	}
	if l.mld >= 0 {
		mreq := &unix.IPv6Mreq{Multiaddr: g.As16(), Interface: uint32(l.index)}
		opt := unix.IPV6_JOIN_GROUP
		if !join {
			opt = unix.IPV6_LEAVE_GROUP
		}
		if err := unix.SetsockoptIPv6Mreq(l.mld, unix.IPPROTO_IPV6, opt, mreq); err != nil {
			errs = append(errs, fmt.Errorf("IPv6 membership of %v: %w", g, err))
		}
	}
	return errors.Join(errs...)
}
