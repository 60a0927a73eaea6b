package layer2

import (
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	clocktesting "k8s.io/utils/clock/testing"
)

// TestNDP runs the IPv6 responder on a node whose eth0 has no global IPv6
// address, only its automatic link-local one.
func TestNDP(t *testing.T) {
	l := newLab(t)
	c := clocktesting.NewFakeClock(time.Unix(1700000000, 0))
	a, stop := l.startAnnouncer(c)
	second := netip.MustParseAddr("2001:db8:100::201")

	// Takeover: an unsolicited NA moves the client's existing entry.
	l.setNeigh(owned6, "02:00:00:00:00:99", "stale")
	a.Apply(map[netip.Addr][]string{owned6: {"eth0"}})
	l.eventually("the IP to be answered on eth0", func() bool {
		return cmp.Equal(a.Status(), map[netip.Addr][]string{owned6: {"eth0"}})
	})
	if !l.nodeGroups()["ff02::1:ff00:200"] {
		t.Errorf("the node did not join the solicited-node group of %v", owned6)
	}
	l.eventually("the first unsolicited NA", func() bool { return a.Stats().UnsolicitedNASent == 1 })
	l.eventually("the client's entry to move to the node", func() bool { return l.neighIs(owned6, l.nodeMAC) })
	for i, d := range []time.Duration{500 * time.Millisecond, 600 * time.Millisecond, 1100 * time.Millisecond} {
		l.step(c, d)
		l.eventually("the next unsolicited NA", func() bool { return a.Stats().UnsolicitedNASent == uint64(i+2) })
	}

	// A client with no entry creates one from an unsolicited NA only if it
	// forwards and accepts untracked NAs (RFC 9131).
	sysctl(t, l.client, "net.ipv6.conf.eth0.forwarding=1", "net.ipv6.conf.eth0.accept_untracked_na=1")
	a.Apply(map[netip.Addr][]string{owned6: {"eth0"}, second: {"eth0"}})
	l.eventually("the client to learn the second IP", func() bool { return l.neighIs(second, l.nodeMAC) })

	// Address resolution by the client's kernel: ping sends a multicast
	// solicitation. The node drops the echo itself, which is fine.
	ip(t, "-n", l.client, "neigh", "del", owned6.String(), "dev", "eth0")
	before := a.Stats().NDPSolicitationsAnswered
	l.ping6(owned6)
	l.eventually("the solicitation to be answered", func() bool {
		return l.neighIs(owned6, l.nodeMAC, netlink.NUD_REACHABLE)
	})
	if got := a.Stats().NDPSolicitationsAnswered; got <= before {
		t.Errorf("NDPSolicitationsAnswered = %d, want more than %d", got, before)
	}

	// Neighbour Unreachability Detection sends unicast solicitations to
	// the IP itself, which an ICMPv6 socket never sees (metallb#2920).
	before = a.Stats().NDPSolicitationsAnswered
	l.setNeigh(owned6, l.nodeMAC.String(), "probe")
	l.eventually("the unicast probe to be answered", func() bool {
		return l.neighIs(owned6, l.nodeMAC, netlink.NUD_REACHABLE)
	})
	if got := a.Stats().NDPSolicitationsAnswered; got <= before {
		t.Errorf("NDPSolicitationsAnswered = %d after the probe, want more than %d", got, before)
	}

	// Duplicate Address Detection: a host that tries to configure an IP
	// the node owns hears that it is taken.
	ip(t, "-n", l.client, "addr", "add", "2001:db8:100::200/64", "dev", "eth0")
	l.eventually("the client's DAD to fail", func() bool {
		out, err := exec.Command("ip", "-n", l.client, "-6", "addr", "show", "dev", "eth0").CombinedOutput()
		return err == nil && strings.Contains(string(out), "2001:db8:100::200/64 scope global dadfailed")
	})
	ip(t, "-n", l.client, "addr", "del", "2001:db8:100::200/64", "dev", "eth0")

	// Removal: no more answers, and the group is left.
	a.Apply(map[netip.Addr][]string{second: {"eth0"}})
	if diff := cmp.Diff(map[netip.Addr][]string{second: {"eth0"}}, a.Status()); diff != "" {
		t.Errorf("Status after removal (-want +got):\n%s", diff)
	}
	if l.nodeGroups()["ff02::1:ff00:200"] {
		t.Errorf("the node is still in the solicited-node group of %v", owned6)
	}
	ip(t, "-n", l.client, "neigh", "del", owned6.String(), "dev", "eth0")
	before = a.Stats().NDPSolicitationsAnswered
	l.ping6(owned6)
	if l.neighIs(owned6, l.nodeMAC) {
		t.Errorf("the client resolved %v to the node after removal", owned6)
	}
	if got := a.Stats().NDPSolicitationsAnswered; got != before {
		t.Errorf("NDPSolicitationsAnswered went from %d to %d after removal", before, got)
	}

	stop()
	if n := packetSockets(t, l.node); n != 0 {
		t.Errorf("%d packet sockets left in the node after Run returned", n)
	}
	if errs := a.Stats().Errors; len(errs) != 0 {
		t.Errorf("Errors = %v, want none", errs)
	}
}

// ping6 sends one echo request from the client; only its neighbour
// resolution matters, so the outcome is ignored.
func (l *lab) ping6(addr netip.Addr) {
	l.t.Helper()
	_ = exec.Command("ip", "netns", "exec", l.client, "ping", "-6", "-n", "-c", "1", "-W", "1", addr.String()).Run()
}

// nodeGroups returns the IPv6 multicast groups eth0 of the node is in.
func (l *lab) nodeGroups() map[string]bool {
	l.t.Helper()
	out, err := exec.Command("ip", "-n", l.node, "-6", "maddr", "show", "dev", "eth0").CombinedOutput()
	if err != nil {
		l.t.Fatalf("ip maddr: %v: %s", err, out)
	}
	groups := map[string]bool{}
	for _, f := range strings.Fields(string(out)) {
		if strings.HasPrefix(f, "ff") {
			groups[f] = true
		}
	}
	return groups
}
