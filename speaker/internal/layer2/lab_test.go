package layer2

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
)

// The lab: a "node" and a "client" network namespace joined by a veth
// pair whose ends are both called eth0. Addresses come from the
// documentation ranges only. Nothing is created in the host namespace.

var labCount atomic.Int32

type lab struct {
	t            *testing.T
	node, client string
	nodeMAC      net.HardwareAddr
	client0      int // eth0's index in the client
	clientH      *netlink.Handle
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test creates network namespaces and must run as root (CI runs it as root)")
	}
}

// newLab builds the lab. nodeAddrs go on the node's eth0; the client
// has 198.51.100.100/24 and 2001:db8:100::100/64.
func newLab(t *testing.T, nodeAddrs ...string) *lab {
	t.Helper()
	requireRoot(t)
	prefix := fmt.Sprintf("l2t%d-%d-", os.Getpid(), labCount.Add(1))
	l := &lab{t: t, node: prefix + "node", client: prefix + "client"}
	for _, ns := range []string{l.node, l.client} {
		ip(t, "netns", "add", ns)
		t.Cleanup(func() {
			if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
				t.Errorf("ip netns del %s: %v: %s", ns, err, out)
			}
		})
		// Without these a link flap deletes the IPv6 addresses.
		sysctl(t, ns, "net.ipv6.conf.all.keep_addr_on_down=1", "net.ipv6.conf.default.keep_addr_on_down=1")
		ip(t, "-n", ns, "link", "set", "lo", "up")
	}
	ip(t, "-n", l.node, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", l.client)
	for _, a := range nodeAddrs {
		ip(t, "-n", l.node, "addr", "add", a, "dev", "eth0", "nodad")
	}
	ip(t, "-n", l.client, "addr", "add", "198.51.100.100/24", "dev", "eth0")
	ip(t, "-n", l.client, "addr", "add", "2001:db8:100::100/64", "dev", "eth0", "nodad")
	ip(t, "-n", l.node, "link", "set", "eth0", "up")
	ip(t, "-n", l.client, "link", "set", "eth0", "up")

	nodeH := handle(t, l.node)
	eth0, err := nodeH.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	l.nodeMAC = eth0.Attrs().HardwareAddr
	l.clientH = handle(t, l.client)
	c0, err := l.clientH.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	l.client0 = c0.Attrs().Index
	return l
}

func handle(t *testing.T, name string) *netlink.Handle {
	t.Helper()
	ns, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func sysctl(t *testing.T, ns string, settings ...string) {
	t.Helper()
	args := append([]string{"netns", "exec", ns, "sysctl", "-qw"}, settings...)
	ip(t, args...)
}

// inNetns runs fn on a goroutine locked to a thread in namespace name.
// The thread is never unlocked, so Go discards it when fn returns and the
// namespace cannot leak to other goroutines.
func inNetns(t *testing.T, name string, fn func()) {
	t.Helper()
	ready := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := netns.GetFromName(name)
		if err == nil {
			err = netns.Set(ns)
			ns.Close()
		}
		ready <- err
		if err == nil {
			fn()
		}
	}()
	if err := <-ready; err != nil {
		t.Fatalf("enter namespace %s: %v", name, err)
	}
}

func newTestAnnouncer(t *testing.T, c clock.WithTicker) *Announcer {
	t.Helper()
	a, err := New(testr.NewWithOptions(t, testr.Options{Verbosity: 1}), Options{Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// run runs a in the node namespace. The returned stop cancels Run and
// fails the test unless Run returns, which it does only once every
// goroutine it started has ended. Cleanup calls stop too.
func (l *lab) run(a *Announcer) (stop func()) {
	t := l.t
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	inNetns(t, l.node, func() { done <- a.Run(ctx) })
	stop = sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return within 10 s of its context ending")
		}
	})
	t.Cleanup(stop)
	return stop
}

// startAnnouncer runs a new Announcer in the node namespace.
func (l *lab) startAnnouncer(c clock.WithTicker) (*Announcer, func()) {
	l.t.Helper()
	a := newTestAnnouncer(l.t, c)
	return a, l.run(a)
}

// eventually waits for cond, failing the test after 10 s. Waiting is for
// the kernel and the Announcer's goroutines to catch up; no test asserts
// how long anything took.
func (l *lab) eventually(what string, cond func() bool) {
	l.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			l.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// step moves the fake clock once the sender waits on it, so that the
// step cannot slip in before its timer exists.
func (l *lab) step(c *clocktesting.FakeClock, d time.Duration) {
	l.t.Helper()
	l.eventually("the sender to wait for its next packet", c.HasWaiters)
	c.Step(d)
}

// neigh returns the client's neighbour entry for addr on eth0.
func (l *lab) neigh(addr netip.Addr) (mac net.HardwareAddr, state int, ok bool) {
	l.t.Helper()
	family := netlink.FAMILY_V4
	if addr.Is6() {
		family = netlink.FAMILY_V6
	}
	ns, err := l.clientH.NeighList(l.client0, family)
	if err != nil {
		l.t.Fatal(err)
	}
	for _, n := range ns {
		if a, _ := netip.AddrFromSlice(n.IP); a.Unmap() == addr {
			return n.HardwareAddr, n.State, true
		}
	}
	return nil, 0, false
}

func (l *lab) setNeigh(addr netip.Addr, mac, state string) {
	l.t.Helper()
	ip(l.t, "-n", l.client, "neigh", "replace", addr.String(), "lladdr", mac, "dev", "eth0", "nud", state)
}

// neighIs reports whether the client's entry for addr points at mac, in
// one of the states given (any if none).
func (l *lab) neighIs(addr netip.Addr, mac net.HardwareAddr, states ...int) bool {
	got, state, ok := l.neigh(addr)
	if !ok || got.String() != mac.String() {
		return false
	}
	for _, s := range states {
		if s == state {
			return true
		}
	}
	return len(states) == 0
}

// arping sends one ARP request for addr from the client and returns the
// MAC that answered, if any.
func (l *lab) arping(addr netip.Addr) (net.HardwareAddr, bool) {
	l.t.Helper()
	cmd := exec.Command("ip", "netns", "exec", l.client, "arping", "-r", "-c", "1", "-w", "2", "-i", "eth0", addr.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() == 1 {
			return nil, false
		}
		l.t.Fatalf("arping %v: %v: %s", addr, err, out)
	}
	mac, err := net.ParseMAC(strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0]))
	if err != nil {
		l.t.Fatalf("arping %v: unexpected output %q", addr, out)
	}
	return mac, true
}

// packetSockets counts the packet sockets open in namespace ns.
func packetSockets(t *testing.T, ns string) int {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "cat", "/proc/net/packet").CombinedOutput()
	if err != nil {
		t.Fatalf("read /proc/net/packet in %s: %v: %s", ns, err, out)
	}
	return len(strings.Split(strings.TrimSpace(string(out)), "\n")) - 1
}
