//go:build linux

package lab

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testGratuitousARP pins down what a gratuitous ARP does to a client with
// the Linux defaults (arp_accept=0), the behaviour a layer-2 failover relies
// on: node2 claims node1's address the way a new announcer would.
//
//   - It never creates an entry.
//   - A request (sender IP = target IP) replaces an existing entry at once.
//   - A reply whose target MAC is broadcast, not the sender's (what
//     MetalLB-style announcers also send), is no gratuitous ARP to Linux but
//     an ordinary unsolicited reply: it replaces an entry only once the
//     entry is older than locktime (1 s), so back-to-back replies from two
//     claimants do not flap it.
func testGratuitousARP(t *testing.T, l *Lab) {
	ctx := t.Context()
	ip := NodeAddr(1, 4)
	node1, node2 := mustMAC(t, l, NodeName(1)), mustMAC(t, l, NodeName(2))
	garp := func(reply bool) {
		t.Helper()
		args := []string{"arping", "-U", "-i", LANInterface, "-c", "1", "-W", "0.05", "-S", ip.String()}
		if reply {
			args = append(args, "-P")
		}
		// Nobody replies to a gratuitous ARP: arping exits 1.
		if out, err := l.Exec(ctx, NodeName(2), append(args, ip.String())...); err != nil && !bytes.Contains(out, []byte("1 packets transmitted")) {
			t.Fatal(err)
		}
	}
	entry := func(what string, want net.HardwareAddr) {
		t.Helper()
		got, state, err := l.Neighbor(Client, LANInterface, ip)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: client's entry for %s is %v %q, %v; want %v", what, ip, got, state, err, want)
		}
	}
	resolve := func() time.Time {
		t.Helper()
		if err := l.FlushNeighbor(Client, LANInterface, ip); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Exec(ctx, Client, "ping", "-c1", "-W2", ip.String()); err != nil {
			t.Fatal(err)
		}
		entry("resolved", node1)
		return time.Now()
	}
	t.Cleanup(func() { _ = l.FlushNeighbor(Client, LANInterface, ip) })

	if err := l.FlushNeighbor(Client, LANInterface, ip); err != nil {
		t.Fatal(err)
	}
	garp(false)
	garp(true)
	entry("no entry, gratuitous request and reply", nil)

	fresh := resolve()
	garp(true)
	if d := time.Since(fresh); d < 800*time.Millisecond {
		entry("fresh entry, gratuitous reply", node1)
	} else { // the entry may have aged past locktime meanwhile
		t.Logf("not checked: the reply came %v after the entry was made", d)
	}
	resolve()
	garp(false)
	entry("fresh entry, gratuitous request", node2)

	resolve()
	time.Sleep(1100 * time.Millisecond)
	garp(true)
	entry("entry older than locktime, gratuitous reply", node2)
}

// testUnsolicitedNA: with clientSysctls an unsolicited Neighbor
// Advertisement for an address nobody holds creates a STALE entry in the
// client, and not in the FRR router, which forwards but keeps
// accept_untracked_na at 0.
func testUnsolicitedNA(t *testing.T, l *Lab) {
	vip := netip.MustParseAddr("2001:db8:100::200")
	mac := mustMAC(t, l, NodeName(1))
	for _, ns := range []string{Client, Router} {
		if err := l.FlushNeighbor(ns, LANInterface, vip); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = l.FlushNeighbor(Client, LANInterface, vip) })
	if err := sendUnsolicitedNA(l, NodeName(1), LANInterface, vip, mac); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the client learns the advertised address", func(context.Context) error {
		got, state, err := l.Neighbor(Client, LANInterface, vip)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, mac) || state != "STALE" {
			return fmt.Errorf("entry %v %q", got, state)
		}
		return nil
	})
	if got, state, err := l.Neighbor(Router, LANInterface, vip); err != nil || state != "" {
		t.Errorf("router's entry for %s = %v %q, %v; want none (accept_untracked_na=0)", vip, got, state, err)
	}
}

func mustMAC(t *testing.T, l *Lab, ns string) net.HardwareAddr {
	t.Helper()
	m, err := l.MAC(ns, LANInterface)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sendUnsolicitedNA sends an unsolicited Neighbor Advertisement (RFC 4861
// §7.2.6: Override set, Solicited clear, to all nodes) for target with mac
// as its link-layer address, as a layer-2 announcer does on takeover. The
// kernel fills in the ICMPv6 checksum and the link-local source.
func sendUnsolicitedNA(l *Lab, ns, ifName string, target netip.Addr, mac net.HardwareAddr) error {
	h, err := l.handle(ns)
	if err != nil {
		return err
	}
	return inNS(h, func() error {
		ifi, err := net.InterfaceByName(ifName)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMPV6)
		if err != nil {
			return fmt.Errorf("raw ICMPv6 socket: %w", err)
		}
		defer unix.Close(fd)
		// Receivers drop neighbour discovery with a hop limit below 255.
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, 255); err != nil {
			return err
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, ifi.Index); err != nil {
			return err
		}
		msg := []byte{136, 0, 0, 0, 0x20, 0, 0, 0} // type NA, code, checksum, flags O
		msg = append(msg, target.AsSlice()...)
		msg = append(msg, 2, 1) // option: target link-layer address, 8 bytes
		msg = append(msg, mac...)
		dst := &unix.SockaddrInet6{Addr: netip.MustParseAddr("ff02::1").As16(), ZoneId: uint32(ifi.Index)}
		if err := unix.Sendto(fd, msg, 0, dst); err != nil {
			return fmt.Errorf("send NA: %w", err)
		}
		return nil
	})
}
