package layer2

import (
	"context"
	"errors"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
	clocktesting "k8s.io/utils/clock/testing"
)

// TestLinkLifecycle follows one interface through down, up and deletion,
// with state applied before Run starts, and checks that Run leaves nothing
// behind.
func TestLinkLifecycle(t *testing.T) {
	l := newLab(t, "198.51.100.11/24", "2001:db8:100::11/64")
	goroutines := runtime.NumGoroutine()
	c := clocktesting.NewFakeClock(time.Unix(1700000000, 0))
	a := newTestAnnouncer(t, c)
	both := map[netip.Addr][]string{owned4: {"eth0"}, owned6: {"eth0"}}
	a.Apply(map[netip.Addr][]string{owned4: {"eth0"}, owned6: {"eth0"}})
	if st := a.Status(); len(st) != 0 {
		t.Errorf("Status before Run = %v, want empty: nothing is open yet", st)
	}
	stop := l.run(a)
	l.eventually("both IPs to be answered", func() bool { return cmp.Equal(a.Status(), both) })
	l.eventually("the first packet of both bursts", func() bool {
		s := a.Stats()
		return s.GratuitousARPSent == 1 && s.UnsolicitedNASent == 1
	})

	// Down: the sockets close and the rest of the bursts is dropped.
	ip(t, "-n", l.node, "link", "set", "eth0", "down")
	l.eventually("eth0 to be closed", func() bool { return len(a.Status()) == 0 && packetSockets(t, l.node) == 0 })
	c.Step(5 * time.Second)
	l.eventually("the sender to find nothing left to send", func() bool { return !c.HasWaiters() })
	if s := a.Stats(); s.GratuitousARPSent != 1 || s.UnsolicitedNASent != 1 || len(s.Errors) != 0 {
		t.Errorf("Stats after the link went down = %+v, want one packet of each and no errors", s)
	}

	// Up again: reopened, with a fresh burst, since the neighbours and the
	// switches may have moved on meanwhile.
	ip(t, "-n", l.node, "link", "set", "eth0", "up")
	l.eventually("eth0 to be answered again", func() bool { return cmp.Equal(a.Status(), both) })
	l.eventually("a new burst", func() bool {
		s := a.Stats()
		return s.GratuitousARPSent == 2 && s.UnsolicitedNASent == 2
	})
	if mac, ok := l.arping(owned4); !ok || mac.String() != l.nodeMAC.String() {
		t.Errorf("arping %v after the link came back: got %v (answered %v), want %v", owned4, mac, ok, l.nodeMAC)
	}

	// Deleted: closed, and Run goes on.
	ip(t, "-n", l.node, "link", "del", "eth0")
	l.eventually("the deleted eth0 to be closed", func() bool { return len(a.Status()) == 0 && packetSockets(t, l.node) == 0 })

	stop()
	if errs := a.Stats().Errors; len(errs) != 0 {
		t.Errorf("Errors = %v, want none", errs)
	}
	l.eventually("every goroutine to end", func() bool { return runtime.NumGoroutine() <= goroutines })
	if err := a.Run(context.Background()); err == nil {
		t.Error("a second Run succeeded")
	}
}

// TestKeepReading checks how a reader treats errors: it must stop, not
// spin, on whatever a closed socket returns (mdlayher/arp's EBADF, for
// one), and sit out the ENETDOWN a packet socket reports once per link
// down.
func TestKeepReading(t *testing.T) {
	a, err := New(logr.Discard(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	down := &netErr{unix.ENETDOWN}

	l := newLink("eth0", 2, nodeMAC, nil, nil, -1)
	downs := 0
	for i := range maxDowns {
		if !a.keepReading(l, down, &downs) {
			t.Fatalf("reader stopped at ENETDOWN number %d", i+1)
		}
	}
	if a.keepReading(l, down, &downs) || !l.failed.Load() {
		t.Error("reader went on after an endless run of ENETDOWN")
	}

	l = newLink("eth0", 2, nodeMAC, nil, nil, -1)
	downs = 0
	if a.keepReading(l, &netErr{unix.EIO}, &downs) || !l.failed.Load() {
		t.Error("reader went on after an unexpected error, or did not report it")
	}
	select {
	case <-a.broken:
	default:
		t.Error("a failed reader did not wake Run")
	}

	l = newLink("eth0", 2, nodeMAC, nil, nil, -1)
	l.closed.Store(true)
	for _, err := range []error{&netErr{unix.EBADF}, down, errors.New("use of closed network connection")} {
		if a.keepReading(l, err, &downs) || l.failed.Load() {
			t.Errorf("reader of a closed link went on, or reported a failure, after %v", err)
		}
	}
	if errs := a.Stats().Errors; errs["eth0"] != 2 {
		t.Errorf("Errors = %v, want 2 on eth0 (the endless ENETDOWN and the EIO)", errs)
	}
}

// netErr wraps an errno the way the packet package does.
type netErr struct{ errno unix.Errno }

func (e *netErr) Error() string { return "read packet: " + e.errno.Error() }
func (e *netErr) Unwrap() error { return e.errno }
