//go:build linux

package lab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLayer2 checks what the layer-2 e2e tests stand on: the second segment,
// ARP and NDP as the clients see them, a pulled cable, the clients'
// neighbour sysctls and the failover prober.
func TestLayer2(t *testing.T) {
	l := up(t, Options{Nodes: 2})
	ctx := t.Context()
	mac := func(ns, ifName string) net.HardwareAddr {
		t.Helper()
		m, err := l.MAC(ns, ifName)
		if err != nil || len(m) != 6 {
			t.Fatalf("MAC(%s, %s) = %v, %v", ns, ifName, m, err)
		}
		return m
	}
	node1LAN, node1LAN2, node2LAN2 := mac(NodeName(1), LANInterface), mac(NodeName(1), LAN2Interface), mac(NodeName(2), LAN2Interface)
	unused4, unused6 := netip.MustParseAddr("198.51.100.99"), netip.MustParseAddr("2001:db8:100::99")

	t.Run("second segment", func(t *testing.T) {
		for _, f := range []int{4, 6} {
			if _, err := l.Exec(ctx, Client2, "ping", "-c1", "-W2", NodeLAN2Addr(1, f).String()); err != nil {
				t.Error(err)
			}
			ln, err := l.Listen(NodeName(1), "tcp", netip.AddrPortFrom(NodeLAN2Addr(1, f), PodPort).String())
			if err != nil {
				t.Fatal(err)
			}
			l.serve(ln, func(c net.Conn) { reply(c, "node1 eth1 client=") })
			got, err := l.Dial(ctx, Client2, netip.AddrPortFrom(NodeLAN2Addr(1, f), PodPort))
			if want := "node1 eth1 client=" + Client2Addr(f).String(); err != nil || got != want {
				t.Errorf("Dial from client2 = %q, %v; want %q", got, err, want)
			}
			// client2 has no gateway: the LAN is out of its reach.
			if _, err := l.Exec(ctx, Client2, "ping", "-c1", "-W1", NodeAddr(1, f).String()); err == nil {
				t.Errorf("client2 reached node1's LAN address %s", NodeAddr(1, f))
			}
		}
		// The segments are not bridged: asked on lan2 for node1's LAN
		// address, node1 answers with its lan2 MAC. Linux answers ARP for
		// any of its addresses on any link (arp_ignore=0), which is why
		// interface selection is the speaker's job for addresses it
		// announces, not the kernel's.
		got, err := l.ARPing(ctx, Client2, LANInterface, NodeAddr(1, 4), 2)
		if diff := cmp.Diff([]net.HardwareAddr{node1LAN2}, got); err != nil || diff != "" {
			t.Errorf("ARPing on lan2 for %s: %v (-want +got):\n%s", NodeAddr(1, 4), err, diff)
		}
	})

	t.Run("ARP", func(t *testing.T) {
		got, err := l.ARPing(ctx, Client, LANInterface, NodeAddr(1, 4), 3)
		if diff := cmp.Diff([]net.HardwareAddr{node1LAN}, got); err != nil || diff != "" {
			t.Errorf("ARPing %s: %v (-want +got):\n%s", NodeAddr(1, 4), err, diff)
		}
		if got, err := l.ARPing(ctx, Client, LANInterface, unused4, 1); err != nil || got == nil || len(got) != 0 {
			t.Errorf("ARPing an unused address = %v, %v; want an empty slice", got, err)
		}
		if _, err := l.ARPing(ctx, Client, "nosuch0", NodeAddr(1, 4), 1); err == nil {
			t.Error("ARPing out of a missing interface succeeded")
		}
		// arping reads replies off the wire; the kernel learns the MAC
		// when it resolves the address itself.
		checkNeighbor(t, l, Client, NodeAddr(1, 4), node1LAN)
	})

	t.Run("NDP", func(t *testing.T) {
		got, err := l.NDPing(ctx, Client, LANInterface, NodeAddr(1, 6))
		if diff := cmp.Diff([]net.HardwareAddr{node1LAN}, got); err != nil || diff != "" {
			t.Errorf("NDPing %s: %v (-want +got):\n%s", NodeAddr(1, 6), err, diff)
		}
		got, err = l.NDPing(ctx, Client2, LANInterface, NodeLAN2Addr(2, 6))
		if diff := cmp.Diff([]net.HardwareAddr{node2LAN2}, got); err != nil || diff != "" {
			t.Errorf("NDPing %s on lan2: %v (-want +got):\n%s", NodeLAN2Addr(2, 6), err, diff)
		}
		if got, err := l.NDPing(ctx, Client, LANInterface, unused6); err != nil || got == nil || len(got) != 0 {
			t.Errorf("NDPing an unused address = %v, %v; want an empty slice", got, err)
		}
		checkNeighbor(t, l, Client, NodeAddr(1, 6), node1LAN)
	})

	t.Run("link down", func(t *testing.T) {
		if err := l.SetLink(NodeName(1), LANInterface, false); err != nil {
			t.Fatal(err)
		}
		if got, err := l.ARPing(ctx, Client, LANInterface, NodeAddr(1, 4), 2); err != nil || len(got) != 0 {
			t.Errorf("ARPing node1 with its link down = %v, %v; want no reply", got, err)
		}
		if got, err := l.NDPing(ctx, Client, LANInterface, NodeAddr(1, 6)); err != nil || len(got) != 0 {
			t.Errorf("NDPing node1 with its link down = %v, %v; want no reply", got, err)
		}
		if err := l.SetLink(NodeName(1), LANInterface, true); err != nil {
			t.Fatal(err)
		}
		eventually(t, "node1 answers ARP again", func(ctx context.Context) error {
			got, err := l.ARPing(ctx, Client, LANInterface, NodeAddr(1, 4), 1)
			if err != nil {
				return err
			}
			if len(got) != 1 || got[0].String() != node1LAN.String() {
				return fmt.Errorf("ARPing = %v", got)
			}
			return nil
		})
		// keep_addr_on_down: the flap left the IPv6 address in place.
		if got, err := l.NDPing(ctx, Client, LANInterface, NodeAddr(1, 6)); err != nil || len(got) != 1 {
			t.Errorf("NDPing node1 after the flap = %v, %v", got, err)
		}
	})

	t.Run("gratuitous ARP", func(t *testing.T) { testGratuitousARP(t, l) })
	t.Run("unsolicited NA", func(t *testing.T) { testUnsolicitedNA(t, l) })
	t.Run("prober", func(t *testing.T) { testProber(t, l) })
}

// checkNeighbor has the kernel of ns resolve ip with a ping and expects
// the neighbour entry to hold want; FlushNeighbor must then remove it.
func checkNeighbor(t *testing.T, l *Lab, ns string, ip netip.Addr, want net.HardwareAddr) {
	t.Helper()
	if err := l.FlushNeighbor(ns, LANInterface, ip); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Exec(t.Context(), ns, "ping", "-c1", "-W2", ip.String()); err != nil {
		t.Fatal(err)
	}
	got, state, err := l.Neighbor(ns, LANInterface, ip)
	if err != nil || got.String() != want.String() || state != "REACHABLE" {
		t.Errorf("Neighbor(%s, %s) = %v %q, %v; want %v REACHABLE", ns, ip, got, state, err, want)
	}
	if err := l.FlushNeighbor(ns, LANInterface, ip); err != nil {
		t.Fatal(err)
	}
	if got, state, err := l.Neighbor(ns, LANInterface, ip); err != nil || state != "" || got != nil {
		t.Errorf("Neighbor(%s, %s) after FlushNeighbor = %v %q, %v; want none", ns, ip, got, state, err)
	}
	if err := l.FlushNeighbor(ns, LANInterface, ip); err != nil {
		t.Errorf("FlushNeighbor of a missing entry: %v", err)
	}
}

// testProber probes pod1 from node2 (the client has no route to the pods),
// cuts pod1's link for 300 ms and expects the gap to show it.
func testProber(t *testing.T, l *Lab) {
	p, err := l.StartProber(NodeName(2), netip.AddrPortFrom(PodAddr(1, 4), PodPort), 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	successes := func(from time.Time) int {
		n := 0
		for _, r := range p.Results() {
			if r.OK && !r.At.Before(from) {
				if r.Node != NodeName(1) {
					t.Fatalf("a probe was answered by %q, want node1", r.Node)
				}
				n++
			}
		}
		return n
	}
	eventually(t, "20 probes succeed", func(context.Context) error {
		if n := successes(time.Time{}); n < 20 {
			return fmt.Errorf("%d successes", n)
		}
		return nil
	})
	if g := p.Gap(time.Time{}); g != 0 {
		t.Errorf("Gap before the cut = %v, want 0 (results %v)", g, p.Results())
	}
	cut := time.Now()
	if err := l.SetLink(NodeName(1), podIf, false); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := l.SetLink(NodeName(1), podIf, true); err != nil {
		t.Fatal(err)
	}
	restored := time.Now()
	eventually(t, "probes succeed after the cut", func(context.Context) error {
		if _, ok := p.FirstSuccessAfter(restored); !ok {
			return fmt.Errorf("no success since %v", restored)
		}
		return nil
	})
	gap := p.Gap(cut)
	last, _ := p.LastSuccess()
	t.Logf("gap %v for a 300 ms cut; %d attempts", gap, len(p.Results()))
	if gap < 300*time.Millisecond || gap > 3*time.Second {
		t.Errorf("Gap = %v for a 300 ms cut", gap)
	}
	p.Stop()
	select {
	case <-p.Done():
	default:
		t.Error("the prober's goroutine still runs after Stop")
	}
	n := len(p.Results())
	time.Sleep(50 * time.Millisecond)
	if got := len(p.Results()); got != n {
		t.Errorf("%d attempts after Stop", got-n)
	}
	if last.At.Before(restored) || p.Err() != nil {
		t.Errorf("LastSuccess at %v, before the link came back at %v (prober error %v)", last.At, restored, p.Err())
	}
}
