//go:build linux

package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ironlb/ironlb/e2e/cluster"
	"github.com/ironlb/ironlb/e2e/lab"
)

// A failure is something that happens to the node owning a layer-2
// address, and the way back.
type failure struct {
	name string
	// break_ fails node; heal undoes it.
	break_, heal func(ctx context.Context, node string) error
}

// isolate takes the node off the LAN as a dead machine would leave it: its
// bridge port stops forwarding, so nothing it sends or should receive gets
// through, while its own link stays up (a crash does not change the
// switch's carrier at once, and the speaker must not learn of it that way).
func isolate(ctx context.Context, node string, off bool) error {
	state := "3" // forwarding
	if off {
		state = "0" // disabled
	}
	_, err := c.Lab.Exec(ctx, lab.LAN, "bridge", "link", "set", "dev", node, "state", state)
	return err
}

// failures are the ways an owner goes away (issue: crash, hang, link down,
// clean stop). Crash and hang also cut the node off the LAN: with only the
// speaker gone, the node's kube-proxy would go on forwarding what the
// client sends to it, and no client would notice anything.
var failures = []failure{{
	name: "crash",
	break_: func(ctx context.Context, node string) error {
		if err := isolate(ctx, node, true); err != nil {
			return err
		}
		return c.KillSpeaker(node)
	},
	heal: func(ctx context.Context, node string) error {
		if err := isolate(ctx, node, false); err != nil {
			return err
		}
		return c.StartSpeaker(node)
	},
}, {
	name: "hang",
	break_: func(ctx context.Context, node string) error {
		if err := isolate(ctx, node, true); err != nil {
			return err
		}
		return c.Speaker(node).Signal(syscall.SIGSTOP)
	},
	heal: func(ctx context.Context, node string) error {
		if err := isolate(ctx, node, false); err != nil {
			return err
		}
		return c.Speaker(node).Signal(syscall.SIGCONT)
	},
}, {
	name: "linkdown",
	break_: func(ctx context.Context, node string) error {
		return c.Lab.SetLink(node, "eth0", false)
	},
	heal: func(ctx context.Context, node string) error {
		return c.Lab.SetLink(node, "eth0", true)
	},
}, {
	name: "stop",
	break_: func(ctx context.Context, node string) error {
		return c.StopSpeaker(node)
	},
	heal: func(ctx context.Context, node string) error {
		return c.StartSpeaker(node)
	},
}}

// failover breaks the owner of ip and returns the client's longest run of
// failed connections, the node that took over, and the node that failed.
// It heals the node before it returns (also when t fails) and waits for
// the address to be answered by exactly one node again.
func failover(t testing.TB, f failure, ip netip.Addr) (gap time.Duration, from, to string) {
	t.Helper()
	// Every speaker in step first: one still joining would make the
	// failover slower for reasons of its own.
	waitL2Settled(t)
	from = waitAnswerer(t, lab.Client, ip)
	reply(t, lab.Client, ip, "pod=pod")
	p, err := c.Lab.StartProber(lab.Client, netip.AddrPortFrom(ip, 80), 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	// Some successes first, so that the gap has a start.
	eventually(t, "the prober reaching the Service", func(context.Context) (bool, string) {
		_, ok := p.LastSuccess()
		return ok, "no success yet"
	})
	healed := false
	heal := func() {
		if !healed {
			healed = true
			if err := f.heal(context.Background(), from); err != nil {
				t.Errorf("heal %s after %s: %v", from, f.name, err)
			}
		}
	}
	defer heal()
	start := time.Now()
	if err := f.break_(t.Context(), from); err != nil {
		t.Fatal(err)
	}
	to = waitAnswerer(t, lab.Client, ip, from)
	waitNeighbor(t, lab.Client, ip, to)
	settled := time.Now()
	eventually(t, "the prober reaching the Service through "+to, func(context.Context) (bool, string) {
		_, ok := p.FirstSuccessAfter(settled)
		return ok, "no success since the client's neighbour entry moved"
	})
	p.Stop()
	gap = p.Gap(start)
	heal()
	waitL2Settled(t)
	return gap, from, to
}

// Each way the owner of an address can fail moves the address to another
// node, which the client then reaches; the failed node, once back, never
// answers alongside the new owner.
func TestL2Failover(t *testing.T) {
	waitL2Settled(t)
	ns := strings.ToLower(t.Name())
	ips := newService(t, cluster.ServiceSpec{Nodes: []int{1, 2, 3}, Annotations: l2})
	ip := ips[0]
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			gap, from, to := failover(t, f, ip)
			t.Logf("%s of %s: %s took over; the client's longest gap was %v", f.name, from, to, gap)
			// The new owner said so on the Service, once.
			waitEvent(t, ns, "L2Owner", fmt.Sprintf("%s answers for %s on eth0 (was %s)", to, ip, from))
			reply(t, lab.Client, ip, "pod=pod")
			// Back: one answerer at every look, whoever it is (the healed
			// node wins its addresses back once it is trusted again).
			deadline := time.Now().Add(3 * time.Second)
			for time.Now().Before(deadline) {
				nodes, err := answerers(t, t.Context(), lab.Client, ip)
				if err != nil {
					t.Fatal(err)
				}
				if len(nodes) > 1 {
					t.Fatalf("after %s healed, %s answered by %v", from, ip, nodes)
				}
			}
			waitAnswerer(t, lab.Client, ip)
		})
	}
}

// apiOutage is how long the speakers go without the apiserver (the issue
// asks for 60 s: longer than every client timeout and resync in the
// speaker, so that nothing survives by luck of timing).
const apiOutage = 60 * time.Second

// Without the apiserver the speakers keep answering from their last view,
// and when the owner crashes during the outage another node still takes
// over: liveness comes from the member list, not the API.
func TestL2APIOutage(t *testing.T) {
	waitL2Settled(t)
	ips := newService(t, cluster.ServiceSpec{Nodes: []int{1, 2, 3}, Annotations: l2})
	ip := ips[0]
	owner := waitAnswerer(t, lab.Client, ip)
	reply(t, lab.Client, ip, "pod=pod")

	c.Lab.SetAPIServerReachable(false)
	cut := time.Now()
	restored := false
	restore := func() {
		if !restored {
			restored = true
			c.Lab.SetAPIServerReachable(true)
		}
	}
	t.Cleanup(restore)

	// Well into the outage (past the clients' first retries), nothing
	// changed for the client.
	time.Sleep(10 * time.Second) // the outage itself is what is tested
	if got := waitAnswerer(t, lab.Client, ip); got != owner {
		t.Fatalf("during the outage %s answers, want %s still", got, owner)
	}
	reply(t, lab.Client, ip, "pod=pod")

	crash := failures[0]
	if err := crash.break_(t.Context(), owner); err != nil {
		t.Fatal(err)
	}
	healed := false
	heal := func() {
		if !healed {
			healed = true
			restore()
			if err := crash.heal(context.Background(), owner); err != nil {
				t.Errorf("heal %s: %v", owner, err)
			}
		}
	}
	defer heal()
	to := waitAnswerer(t, lab.Client, ip, owner)
	waitNeighbor(t, lab.Client, ip, to)
	reply(t, lab.Client, ip, "pod=pod")
	t.Logf("during the outage, %s took over from %s", to, owner)

	// Until the outage ends, the new owner alone keeps answering.
	for time.Since(cut) < apiOutage {
		nodes, err := answerers(t, t.Context(), lab.Client, ip)
		if err != nil {
			t.Fatal(err)
		}
		if len(nodes) != 1 || nodes[0] != to {
			t.Fatalf("%v into the outage, %s answered by %v, want %s", time.Since(cut).Round(time.Second), ip, nodes, to)
		}
		time.Sleep(2 * time.Second)
	}
	reply(t, lab.Client, ip, "pod=pod")
	heal()
	waitL2Settled(t)
	waitAnswerer(t, lab.Client, ip)
	reply(t, lab.Client, ip, "pod=pod")
}
