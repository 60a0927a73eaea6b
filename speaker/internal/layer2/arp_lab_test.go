package layer2

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	clocktesting "k8s.io/utils/clock/testing"
)

// TestARP runs the IPv4 responder on a node whose eth0 has no IPv4
// address at all: mdlayher/arp's Client would refuse it.
func TestARP(t *testing.T) {
	l := newLab(t)
	c := clocktesting.NewFakeClock(time.Unix(1700000000, 0))
	a, stop := l.startAnnouncer(c)
	other := netip.MustParseAddr("198.51.100.201")

	// The client knows the IP at a stale MAC, as after the old owner died.
	l.setNeigh(owned4, "02:00:00:00:00:99", "stale")
	a.Apply(map[netip.Addr][]string{owned4: {"eth0"}})
	l.eventually("the IP to be answered on eth0", func() bool {
		return cmp.Equal(a.Status(), map[netip.Addr][]string{owned4: {"eth0"}})
	})
	if n := packetSockets(t, l.node); n != 2 {
		t.Errorf("%d packet sockets in the node, want 2 (ARP and NDP on eth0)", n)
	}

	// The first gratuitous ARP goes at once and moves the entry, though
	// it is younger than the 1 s locktime: a request with sender = target
	// is gratuitous to Linux.
	l.eventually("the first gratuitous ARP", func() bool { return a.Stats().GratuitousARPSent == 1 })
	l.eventually("the client's entry to move to the node", func() bool { return l.neighIs(owned4, l.nodeMAC) })
	// The rest of the burst, packet by packet.
	for i, d := range []time.Duration{500 * time.Millisecond, 600 * time.Millisecond, 1100 * time.Millisecond} {
		l.step(c, d)
		l.eventually("the next gratuitous ARP", func() bool { return a.Stats().GratuitousARPSent == uint64(i+2) })
	}

	// Address resolution, and nothing for an IP the node does not own.
	if mac, ok := l.arping(owned4); !ok || mac.String() != l.nodeMAC.String() {
		t.Errorf("arping %v: got %v (answered %v), want %v", owned4, mac, ok, l.nodeMAC)
	}
	if mac, ok := l.arping(other); ok {
		t.Errorf("arping %v: answered by %v, want no answer", other, mac)
	}
	if got := a.Stats().ARPRequestsAnswered; got != 1 {
		t.Errorf("ARPRequestsAnswered = %d, want 1", got)
	}

	// Neighbour Unreachability Detection: the kernel checks the entry
	// with unicast requests to the node's MAC; only an answer makes it
	// REACHABLE again.
	l.setNeigh(owned4, l.nodeMAC.String(), "probe")
	l.eventually("the unicast probe to be answered", func() bool {
		return l.neighIs(owned4, l.nodeMAC, netlink.NUD_REACHABLE)
	})
	if got := a.Stats().ARPRequestsAnswered; got < 2 {
		t.Errorf("ARPRequestsAnswered = %d after the probe, want at least 2", got)
	}

	// Removal stops the answers at once.
	before := a.Stats().ARPRequestsAnswered
	a.Apply(nil)
	if st := a.Status(); len(st) != 0 {
		t.Errorf("Status after removal = %v, want empty", st)
	}
	if mac, ok := l.arping(owned4); ok {
		t.Errorf("arping %v after removal: answered by %v", owned4, mac)
	}
	if got := a.Stats().ARPRequestsAnswered; got != before {
		t.Errorf("ARPRequestsAnswered went from %d to %d after removal", before, got)
	}
	// An interface no IP names has its sockets closed.
	l.eventually("eth0's sockets to close", func() bool { return packetSockets(t, l.node) == 0 })

	stop()
	if errs := a.Stats().Errors; len(errs) != 0 {
		t.Errorf("Errors = %v, want none", errs)
	}
}
