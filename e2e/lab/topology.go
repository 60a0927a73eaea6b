//go:build linux

package lab

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Interface names. They are per namespace, so they are short and fixed and
// never contain the prefix: eth0 is every member's LAN (or only) link, eth1
// a node's link to lan2 (LAN2Interface), and the bridge side of a member's
// veth is named after the member.
const (
	lanIf    = "eth0"
	extIf    = "eth1" // the FRR router's link to ext
	podIf    = "pod"  // a node's link to its pod
	podEthIf = "eth0" // the pod's link to its node
)

// Sysctls of every namespace. TESTBED: without keep_addr_on_down a link flap
// deletes IPv6 addresses. DAD is off so that link-local addresses, like the
// global ones added with nodad, are usable at once.
var nsSysctls = []string{
	"net.ipv6.conf.all.keep_addr_on_down", "1",
	"net.ipv6.conf.default.keep_addr_on_down", "1",
	"net.ipv6.conf.all.accept_dad", "0",
	"net.ipv6.conf.default.accept_dad", "0",
}

var forwardSysctls = []string{
	"net.ipv4.ip_forward", "1",
	"net.ipv6.conf.all.forwarding", "1",
	"net.ipv6.conf.default.forwarding", "1",
}

// lanMember is a namespace with an eth0 on the LAN bridge.
type lanMember struct {
	name    string
	v4, v6  netip.Addr
	forward bool
	gateway bool // default routes via the FRR router
	client  bool // gets clientSysctls
}

func (l *Lab) lanMembers() []lanMember {
	ms := []lanMember{
		{name: Router, v4: RouterAddr(4), v6: RouterAddr(6), forward: true},
		{name: Router2, v4: Router2Addr(4), v6: Router2Addr(6)},
		{name: Client, v4: ClientAddr(4), v6: ClientAddr(6), gateway: true, client: true},
	}
	for i := 1; i <= l.opts.nodes(); i++ {
		ms = append(ms, lanMember{name: NodeName(i), v4: NodeAddr(i, 4), v6: NodeAddr(i, 6), forward: true, gateway: true})
	}
	return ms
}

func (l *Lab) buildNetwork(ctx context.Context) error {
	names := []string{LAN, LAN2, Router, Router2, Client, Client2, Ext}
	for i := 1; i <= l.opts.nodes(); i++ {
		names = append(names, NodeName(i), PodName(i))
	}
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := l.addNS(n); err != nil {
			return err
		}
	}
	// The LAN namespace only bridges; it has no addresses and stays quiet.
	if err := l.sysctl(LAN, "net.ipv6.conf.all.disable_ipv6", "1", "net.ipv6.conf.default.disable_ipv6", "1"); err != nil {
		return err
	}
	if err := l.makeBridge(LAN); err != nil {
		return err
	}
	for _, m := range l.lanMembers() {
		if m.forward {
			if err := l.sysctl(m.name, forwardSysctls...); err != nil {
				return err
			}
		}
		if err := l.veth(LAN, m.name, m.name, lanIf, lanBridge); err != nil {
			return err
		}
		if err := l.addrUp(m.name, lanIf, pfx(m.v4, 24), pfx(m.v6, 64)); err != nil {
			return err
		}
		if m.client {
			if err := l.sysctl(m.name, clientSysctls(lanIf)...); err != nil {
				return err
			}
		}
		if m.gateway {
			if err := l.defaultRoutes(m.name, RouterAddr(4), RouterAddr(6)); err != nil {
				return err
			}
		}
	}
	// The outside network behind the FRR router.
	if err := l.veth(Router, extIf, Ext, lanIf, ""); err != nil {
		return err
	}
	if err := l.addrUp(Router, extIf, pfx(RouterExtAddr(4), 24), pfx(RouterExtAddr(6), 64)); err != nil {
		return err
	}
	if err := l.addrUp(Ext, lanIf, pfx(ExtAddr(4), 24), pfx(ExtAddr(6), 64)); err != nil {
		return err
	}
	if err := l.defaultRoutes(Ext, RouterExtAddr(4), RouterExtAddr(6)); err != nil {
		return err
	}
	if err := l.buildLAN2(); err != nil {
		return err
	}
	return l.buildPods()
}

// buildPods links each node to its pod and routes every pod subnet via its
// node, so that node1 reaches pod2 the way a CNI with host routes would.
func (l *Lab) buildPods() error {
	n := l.opts.nodes()
	for i := 1; i <= n; i++ {
		node, pod := NodeName(i), PodName(i)
		if err := l.veth(node, podIf, pod, podEthIf, ""); err != nil {
			return err
		}
		if err := l.addrUp(node, podIf, pfx(PodGateway(i, 4), 24), pfx(PodGateway(i, 6), 64)); err != nil {
			return err
		}
		if err := l.addrUp(pod, podEthIf, pfx(PodAddr(i, 4), 24), pfx(PodAddr(i, 6), 64)); err != nil {
			return err
		}
		if err := l.defaultRoutes(pod, PodGateway(i, 4), PodGateway(i, 6)); err != nil {
			return err
		}
		for j := 1; j <= n; j++ {
			if j == i {
				continue
			}
			for _, f := range []int{4, 6} {
				if err := l.route(node, PodPrefix(j, f), NodeAddr(j, f)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// addNS creates a member's namespace, records it for Down at once, applies
// the common sysctls and brings lo up (a new namespace's lo is down, and the
// apiserver forwarder listens on it).
func (l *Lab) addNS(name string) error {
	h, err := addNS(l.NS(name))
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.ns[name] = h
	l.order = append(l.order, name)
	l.mu.Unlock()
	if err := sysctls(h, nsSysctls...); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return l.withLinks(name, func(nl *netlink.Handle) error {
		lo, err := nl.LinkByName("lo")
		if err != nil {
			return err
		}
		return nl.LinkSetUp(lo)
	})
}

// Sysctl sets net.* sysctls (key, value, key, value, …) in a lab namespace.
func (l *Lab) Sysctl(ns string, kv ...string) error {
	if len(kv)%2 != 0 {
		return fmt.Errorf("sysctl in %s: %d arguments, want key-value pairs", ns, len(kv))
	}
	return l.sysctl(ns, kv...)
}

func (l *Lab) sysctl(ns string, kv ...string) error {
	h, err := l.handle(ns)
	if err != nil {
		return err
	}
	if err := sysctls(h, kv...); err != nil {
		return fmt.Errorf("%s: %w", ns, err)
	}
	return nil
}

// withLinks runs fn with a netlink handle bound to a lab namespace; the
// calling thread never changes namespace.
func (l *Lab) withLinks(ns string, fn func(*netlink.Handle) error) error {
	h, err := l.handle(ns)
	if err != nil {
		return err
	}
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		return fmt.Errorf("netlink in %s: %w", ns, err)
	}
	defer nl.Close()
	if err := fn(nl); err != nil {
		return fmt.Errorf("%s: %w", ns, err)
	}
	return nil
}

// makeBridge creates the bridge of a segment's namespace (LAN, LAN2).
func (l *Lab) makeBridge(ns string) error {
	off := false
	return l.withLinks(ns, func(nl *netlink.Handle) error {
		// Without an MLD querier on the segment, snooping can drop the
		// multicast that IPv6 neighbour discovery depends on.
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: lanBridge}, MulticastSnooping: &off}
		if err := nl.LinkAdd(br); err != nil {
			return fmt.Errorf("add bridge %s: %w", lanBridge, err)
		}
		return nl.LinkSetUp(br)
	})
}

// veth creates a veth pair with end aIf in namespace a and end bIf in
// namespace b. Both ends are created in their namespaces directly, never in
// the host's. A non-empty master enslaves aIf to that bridge.
func (l *Lab) veth(a, aIf, b, bIf, master string) error {
	hb, err := l.handle(b)
	if err != nil {
		return err
	}
	return l.withLinks(a, func(nl *netlink.Handle) error {
		v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: aIf}, PeerName: bIf, PeerNamespace: netlink.NsFd(hb)}
		if err := nl.LinkAdd(v); err != nil {
			return fmt.Errorf("add veth %s to %s/%s: %w", aIf, b, bIf, err)
		}
		link, err := nl.LinkByName(aIf)
		if err != nil {
			return err
		}
		if master != "" {
			br, err := nl.LinkByName(master)
			if err != nil {
				return err
			}
			if err := nl.LinkSetMaster(link, br); err != nil {
				return fmt.Errorf("attach %s to %s: %w", aIf, master, err)
			}
		}
		return nl.LinkSetUp(link)
	})
}

// addrUp adds addresses to a link and brings it up. IPv6 addresses skip DAD
// (TESTBED), so they can be bound at once.
func (l *Lab) addrUp(ns, ifName string, addrs ...netip.Prefix) error {
	return l.withLinks(ns, func(nl *netlink.Handle) error {
		link, err := nl.LinkByName(ifName)
		if err != nil {
			return err
		}
		for _, a := range addrs {
			na := &netlink.Addr{IPNet: ipNet(a)}
			if a.Addr().Is6() {
				na.Flags = unix.IFA_F_NODAD
			}
			if err := nl.AddrAdd(link, na); err != nil {
				return fmt.Errorf("add %s to %s: %w", a, ifName, err)
			}
		}
		return nl.LinkSetUp(link)
	})
}

func (l *Lab) defaultRoutes(ns string, gw4, gw6 netip.Addr) error {
	if err := l.route(ns, netip.PrefixFrom(netip.IPv4Unspecified(), 0), gw4); err != nil {
		return err
	}
	return l.route(ns, netip.PrefixFrom(netip.IPv6Unspecified(), 0), gw6)
}

func (l *Lab) route(ns string, dst netip.Prefix, gw netip.Addr) error {
	return l.withLinks(ns, func(nl *netlink.Handle) error {
		r := &netlink.Route{Dst: ipNet(dst), Gw: net.IP(gw.AsSlice())}
		if err := nl.RouteAdd(r); err != nil {
			return fmt.Errorf("route %s via %s: %w", dst, gw, err)
		}
		return nil
	})
}
