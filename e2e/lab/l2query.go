//go:build linux

package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"slices"
	"strconv"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Layer-2 queries: what a lab member's kernel holds and what the segment
// answers. ARPing and NDPing send with the Debian tools hack/labdeps.sh
// installs (arping by Thomas Habets, ndisc6), which capture replies on the
// wire: unlike a ping, they see every answer, not just the one the kernel
// keeps, so a test can tell one responder from two.

// arpingInterval is the gap between ARP requests and, after the last one,
// how long arping waits for late replies. A speaker answers from user space
// within milliseconds; 250 ms leaves room for a loaded -race run while
// ARPing(…, 3) still takes under a second.
const arpingInterval = "0.25"

// ndisc6Wait is how long ndisc6 waits for advertisements after each
// solicitation, in milliseconds; with -m it always waits that long, to
// collect every responder. ndisc6Tries solicitations are sent at most.
const (
	ndisc6Wait  = "500"
	ndisc6Tries = "3"
)

// MAC returns the hardware address of an interface in a lab namespace.
func (l *Lab) MAC(ns, ifName string) (net.HardwareAddr, error) {
	var mac net.HardwareAddr
	err := l.withLinks(ns, func(nl *netlink.Handle) error {
		link, err := nl.LinkByName(ifName)
		if err != nil {
			return fmt.Errorf("link %s: %w", ifName, err)
		}
		mac = slices.Clone(link.Attrs().HardwareAddr)
		return nil
	})
	return mac, err
}

// SetLink sets an interface in a lab namespace up or down, as pulling a
// cable would: a veth's peer loses its carrier, so the bridge stops
// forwarding to it. Addresses survive (keep_addr_on_down); when a node's
// LAN link comes back up, its routes over it are restored, as a node's
// network manager would.
func (l *Lab) SetLink(ns, ifName string, up bool) error {
	err := l.withLinks(ns, func(nl *netlink.Handle) error {
		link, err := nl.LinkByName(ifName)
		if err != nil {
			return fmt.Errorf("link %s: %w", ifName, err)
		}
		if up {
			return nl.LinkSetUp(link)
		}
		return nl.LinkSetDown(link)
	})
	if err != nil || !up || ifName != lanIf {
		return err
	}
	for i := 1; i <= l.opts.nodes(); i++ {
		if ns == NodeName(i) {
			return l.restoreLANRoutes(i)
		}
	}
	return nil
}

// Neighbor returns the kernel's neighbour entry (ARP or NDP) for ip on an
// interface of a lab namespace: its hardware address and its state as `ip
// neigh` prints it ("REACHABLE", "STALE", "DELAY", "PROBE", "FAILED",
// "INCOMPLETE", "PERMANENT", …). An absent entry is state "" and no error.
func (l *Lab) Neighbor(ns, ifName string, ip netip.Addr) (mac net.HardwareAddr, state string, err error) {
	ip = ip.Unmap()
	err = l.withLinks(ns, func(nl *netlink.Handle) error {
		link, err := nl.LinkByName(ifName)
		if err != nil {
			return fmt.Errorf("link %s: %w", ifName, err)
		}
		neighs, err := nl.NeighList(link.Attrs().Index, addrFamily(ip))
		if err != nil {
			return fmt.Errorf("neighbours of %s: %w", ifName, err)
		}
		for _, n := range neighs {
			if a, ok := netip.AddrFromSlice(n.IP); ok && a.Unmap() == ip {
				mac, state = slices.Clone(n.HardwareAddr), neighState(n.State)
				return nil
			}
		}
		return nil
	})
	return mac, state, err
}

// FlushNeighbor deletes the kernel's neighbour entry for ip on an interface
// of a lab namespace, so that the next packet resolves the address afresh.
// A missing entry is no error.
func (l *Lab) FlushNeighbor(ns, ifName string, ip netip.Addr) error {
	ip = ip.Unmap()
	return l.withLinks(ns, func(nl *netlink.Handle) error {
		link, err := nl.LinkByName(ifName)
		if err != nil {
			return fmt.Errorf("link %s: %w", ifName, err)
		}
		n := &netlink.Neigh{LinkIndex: link.Attrs().Index, Family: addrFamily(ip), IP: ip.AsSlice()}
		if err := nl.NeighDel(n); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("delete neighbour %s on %s: %w", ip, ifName, err)
		}
		return nil
	})
}

// ARPing sends count ARP requests for an IPv4 address out of an interface
// of a lab namespace, and returns the distinct hardware addresses that
// answered for it, in the order first seen: one for a healthy layer-2
// announcement, two when two nodes claim the address, none (and no error)
// when nobody answers. The kernel's neighbour table is left alone: arping
// reads the replies off the wire.
func (l *Lab) ARPing(ctx context.Context, ns, ifName string, ip netip.Addr, count int) ([]net.HardwareAddr, error) {
	if !ip.Is4() {
		return nil, fmt.Errorf("arping %s: not an IPv4 address", ip)
	}
	if count < 1 {
		return nil, fmt.Errorf("arping %s: count %d, want at least 1", ip, count)
	}
	out, err := l.Exec(ctx, ns, "arping", "-i", ifName, "-c", strconv.Itoa(count), "-W", arpingInterval, ip.String())
	// arping exits 1 both when nobody answered and when it could not send
	// at all; only the first prints its statistics.
	unanswered := exitCode(err) == 1 && bytes.Contains(out, []byte(" packets transmitted"))
	if err != nil && !unanswered {
		return nil, err
	}
	return parseARPing(out, ip), nil
}

// arpingReply matches a reply line of arping 2.x:
// "42 bytes from 1a:10:a9:04:bb:96 (198.51.100.11): index=0 time=19.437 usec".
var arpingReply = regexp.MustCompile(`(?m)^\d+ bytes from ([0-9A-Fa-f:]+) \(([^)]+)\):`)

// parseARPing returns the distinct MACs of the replies for ip in arping's
// output; replies that claim another address are ignored.
func parseARPing(out []byte, ip netip.Addr) []net.HardwareAddr {
	macs := []net.HardwareAddr{}
	for _, m := range arpingReply.FindAllSubmatch(out, -1) {
		sender, err := netip.ParseAddr(string(m[2]))
		if err != nil || sender != ip {
			continue
		}
		macs = appendMAC(macs, string(m[1]))
	}
	return macs
}

// NDPing sends IPv6 Neighbor Solicitations for ip out of an interface of a
// lab namespace, up to three, until one is answered, and returns the
// distinct link-layer addresses the Neighbor Advertisements carried, in the
// order first seen; none, and no error, when nobody answered. It waits
// 500 ms after the solicitation that was answered, so a second responder is
// seen too.
//
// ndisc6 reports solicited advertisements only: it cannot see the
// unsolicited ones a speaker sends on takeover (TESTBED); look for those
// with Neighbor in a client instead.
func (l *Lab) NDPing(ctx context.Context, ns, ifName string, ip netip.Addr) ([]net.HardwareAddr, error) {
	if !ip.Is6() || ip.Is4In6() {
		return nil, fmt.Errorf("ndisc6 %s: not an IPv6 address", ip)
	}
	out, err := l.Exec(ctx, ns, "ndisc6", "-m", "-n", "-r", ndisc6Tries, "-w", ndisc6Wait, ip.String(), ifName)
	// ndisc6 exits 2 after "No response.", and 1 when it cannot send.
	unanswered := exitCode(err) == 2 && bytes.Contains(out, []byte("No response."))
	if err != nil && !unanswered {
		return nil, err
	}
	return parseNdisc6(out), nil
}

// ndisc6Reply matches the line ndisc6 prints for each advertisement:
// "Target link-layer address: 1A:10:A9:04:BB:96".
var ndisc6Reply = regexp.MustCompile(`(?m)^Target link-layer address: ([0-9A-Fa-f:]+)\s*$`)

func parseNdisc6(out []byte) []net.HardwareAddr {
	macs := []net.HardwareAddr{}
	for _, m := range ndisc6Reply.FindAllSubmatch(out, -1) {
		macs = appendMAC(macs, string(m[1]))
	}
	return macs
}

// appendMAC appends the parsed MAC s unless it is unparsable or already in
// macs.
func appendMAC(macs []net.HardwareAddr, s string) []net.HardwareAddr {
	mac, err := net.ParseMAC(s)
	if err != nil {
		return macs
	}
	if slices.ContainsFunc(macs, func(m net.HardwareAddr) bool { return bytes.Equal(m, mac) }) {
		return macs
	}
	return append(macs, mac)
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

func addrFamily(ip netip.Addr) int {
	if ip.Is4() || ip.Is4In6() {
		return netlink.FAMILY_V4
	}
	return netlink.FAMILY_V6
}

// neighState names a neighbour state as iproute2 does.
func neighState(s int) string {
	switch s {
	case netlink.NUD_NONE:
		return "NONE"
	case netlink.NUD_INCOMPLETE:
		return "INCOMPLETE"
	case netlink.NUD_REACHABLE:
		return "REACHABLE"
	case netlink.NUD_STALE:
		return "STALE"
	case netlink.NUD_DELAY:
		return "DELAY"
	case netlink.NUD_PROBE:
		return "PROBE"
	case netlink.NUD_FAILED:
		return "FAILED"
	case netlink.NUD_NOARP:
		return "NOARP"
	case netlink.NUD_PERMANENT:
		return "PERMANENT"
	}
	return fmt.Sprintf("0x%x", s)
}
