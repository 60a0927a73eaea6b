//go:build linux

package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/ironlb/ironlb/e2e/cluster"
	"github.com/ironlb/ironlb/e2e/lab"
)

// A crashed speaker's routes are withdrawn by the router without graceful
// restart (BIRD, iBGP peer "router2") and kept by the one with it (FRR,
// peer "router" sets gracefulRestart) until the restarted speaker
// re-advertises them.
func TestBGPSpeakerCrash(t *testing.T) {
	ips := newService(t, cluster.ServiceSpec{Nodes: []int{1, 2, 3}})
	p := host(ips[0])
	all := nodes(4, 1, 2, 3)
	waitRouteEverywhere(t, p, all)

	if err := c.KillSpeaker("node1"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.Speaker("node1") == nil {
			_ = c.StartSpeaker("node1")
		}
	})
	frr, bird := routers()[0], routers()[1]
	waitRoute(t, bird, p, nodes(4, 2, 3))
	// FRR saw the session go down too...
	node1 := lab.NodeAddr(1, 4)
	eventually(t, "FRR session with node1 down", func(ctx context.Context) (bool, string) {
		ns, err := c.Lab.FRRNeighbors(ctx)
		if err != nil {
			return false, err.Error()
		}
		n, ok := ns[node1]
		return !ok || n.State != "Established", fmt.Sprintf("%+v", n)
	})
	// ...and kept node1's path as stale (RFC 4724).
	waitRoute(t, frr, p, all)

	if err := c.StartSpeaker("node1"); err != nil {
		t.Fatal(err)
	}
	waitRouteEverywhere(t, p, all)
	eventually(t, "FRR session with node1 re-established", func(ctx context.Context) (bool, string) {
		ns, err := c.Lab.FRRNeighbors(ctx)
		if err != nil {
			return false, err.Error()
		}
		return ns[node1].State == "Established", fmt.Sprintf("%+v", ns[node1])
	})
}

// After a router restarts, every node re-establishes its session and
// re-advertises.
func TestBGPRouterRestart(t *testing.T) {
	ips := newService(t, cluster.ServiceSpec{Nodes: []int{1, 2, 3}})
	p := host(ips[0])
	all := nodes(4, 1, 2, 3)
	waitRouteEverywhere(t, p, all)
	for _, r := range []struct {
		name string
		src  routeSource
	}{{"router", routers()[0]}, {"router2", routers()[1]}} {
		if err := c.Lab.RestartRouter(t.Context(), r.name); err != nil {
			t.Fatal(err)
		}
		waitRoute(t, r.src, p, all)
	}
}
