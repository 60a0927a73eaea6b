//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/e2e/cluster"
)

// editPeer changes the BGPPeer named name, again on a conflict: the
// controller writes the peers' status meanwhile.
func editPeer(t testing.TB, ctx context.Context, name string, mutate func(*v1alpha1.BGPPeer)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var peer v1alpha1.BGPPeer
		if err := c.Env.Client.Get(ctx, client.ObjectKey{Name: name}, &peer); err != nil {
			return err
		}
		mutate(&peer)
		return c.Env.Client.Update(ctx, &peer)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// setSecret creates or updates the password Secret of the router peer.
func setSecret(t testing.TB, ctx context.Context, password string) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: cluster.Namespace, Name: "bgp-router"}}
	err := c.Env.Client.Get(ctx, client.ObjectKeyFromObject(s), s)
	s.Data = map[string][]byte{"password": []byte(password)}
	if err != nil {
		err = c.Env.Client.Create(ctx, s)
	} else {
		err = c.Env.Client.Update(ctx, s)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TCP-MD5 (RFC 2385): once the router requires a password, the sessions
// come up only with the right one from the peer's Secret; a wrong one never
// establishes, and the router has no route from the nodes meanwhile.
func TestBGPPassword(t *testing.T) {
	ips := newService(t, cluster.ServiceSpec{Nodes: []int{1, 2, 3}})
	p := host(ips[0])
	all := nodes(4, 1, 2, 3)
	frr := routers()[0]
	waitRoute(t, frr, p, all)

	// The router demands a password the nodes do not have yet.
	if _, err := c.Lab.Vtysh(t.Context(), "configure terminal", "router bgp 64500", "neighbor NODES password lab-secret"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = c.Lab.Vtysh(ctx, "configure terminal", "router bgp 64500", "no neighbor NODES password")
		editPeer(t, ctx, "router", func(p *v1alpha1.BGPPeer) { p.Spec.PasswordSecretRef = nil })
		_ = c.Env.Client.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: cluster.Namespace, Name: "bgp-router"}})
	})
	if _, err := c.Lab.Vtysh(t.Context(), "clear bgp *"); err != nil {
		t.Fatal(err)
	}
	waitRoute(t, frr, p, nil)

	// A wrong password: still nothing, for several connect retries.
	setSecret(t, t.Context(), "not-the-secret")
	editPeer(t, t.Context(), "router", func(p *v1alpha1.BGPPeer) {
		p.Spec.PasswordSecretRef = &v1alpha1.SecretKeyRef{Name: "bgp-router"}
	})
	never(t, 3*time.Second, "a session with the wrong password", func(ctx context.Context) (bool, string) {
		ns, err := c.Lab.FRRNeighbors(ctx)
		if err != nil {
			return false, err.Error()
		}
		for a, n := range ns {
			if n.State == "Established" {
				return true, fmt.Sprintf("%s: %+v", a, n)
			}
		}
		return false, ""
	})

	// The right one: every node's session comes up and the routes return.
	setSecret(t, t.Context(), "lab-secret")
	waitRoute(t, frr, p, all)
}

// never polls cond for d and fails if it ever holds. It is an observation
// window, not a sleep: every poll checks the state.
func never(t testing.TB, d time.Duration, what string, cond func(ctx context.Context) (bool, string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	for ctx.Err() == nil {
		if held, detail := cond(ctx); held {
			t.Fatalf("%s: %s", what, detail)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// A router that refuses the session (here: the node claims an AS the router
// does not expect) gets retried with growing delays, not in a hot loop.
func TestBGPRejectingPeerBacksOff(t *testing.T) {
	ips := newService(t, cluster.ServiceSpec{Nodes: []int{1, 2, 3}})
	p := host(ips[0])
	waitRoute(t, routers()[0], p, nodes(4, 1, 2, 3))

	editPeer(t, t.Context(), "router", func(p *v1alpha1.BGPPeer) { p.Spec.LocalASN = 65001 })
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		editPeer(t, ctx, "router", func(p *v1alpha1.BGPPeer) { p.Spec.LocalASN = 64512 })
	})
	waitRoute(t, routers()[0], p, nil)

	// Count the OPEN messages FRR refused from node1 over a window: with
	// connectTime 2s and doubling delays a speaker makes at most 4 attempts
	// in 12 s (at 0, 2, 6 and 14 s at the earliest); a fixed-interval retry
	// would make 6, MetalLB's native BGP thousands.
	start := openErrors(t, "198.51.100.11")
	window := 12 * time.Second
	never(t, window, "FRR learned a route from a node with the wrong AS", func(ctx context.Context) (bool, string) {
		routes, err := c.Lab.FRRRoutes(ctx, 4)
		if err != nil {
			return false, ""
		}
		return len(routes[p]) > 0, fmt.Sprintf("%v", routes[p])
	})
	if n := openErrors(t, "198.51.100.11") - start; n > 4 || n < 1 {
		t.Errorf("node1 opened %d sessions that FRR refused in %s, want 1..4 (doubling backoff from 2s)", n, window)
	}

	editPeer(t, t.Context(), "router", func(p *v1alpha1.BGPPeer) { p.Spec.LocalASN = 64512 })
	waitRoute(t, routers()[0], p, nodes(4, 1, 2, 3))
}

// openErrors counts the OPEN messages FRR logged as refused for a node.
func openErrors(t testing.TB, node string) int {
	t.Helper()
	return countLog(t, c.Lab.LogPath("bgpd"), node, "OPEN receipt failed")
}

// countLog counts the lines of a log file that mention who and any of the
// phrases.
func countLog(t testing.TB, path, who string, phrases ...string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(string(b)) {
		if strings.Contains(line, who) && slices.ContainsFunc(phrases, func(p string) bool { return strings.Contains(line, p) }) {
			n++
		}
	}
	return n
}
