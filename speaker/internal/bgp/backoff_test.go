package bgp

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	api "github.com/osrg/gobgp/v3/api"
	clocktesting "k8s.io/utils/clock/testing"
)

func noJitter(d time.Duration) time.Duration { return d }

// TestBackoffRejected peers with a router that refuses our AS in every
// OPEN: the peer is held back for a delay that doubles from ConnectTime up
// to MaxBackoff, by the speaker's clock.
func TestBackoffRejected(t *testing.T) {
	needNetns(t)
	routerAddr, speakerAddr := loopbackSubnet(t)
	r := newRouter(t, routerAddr, 65000)
	// A short hold time: should the router's NOTIFICATION ever not come
	// (seen twice on a loaded machine: the speaker sat in OpenConfirm), the
	// session still fails within seconds, which is all this test needs.
	r.accept(t, peering{addr: speakerAddr, asn: 65099, holdTime: 3})
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := startSpeaker(t, Options{Clock: clk, MaxBackoff: 3 * time.Second, Jitter: noJitter})
	apply(t, s, Desired{RouterID: testRouterID, Peers: []Peer{{
		Name: "r", Address: routerAddr, ASN: 65000, LocalASN: 64512, SourceAddress: speakerAddr, ConnectTime: time.Second,
	}}})

	for i, delay := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
		n := i + 1
		got := waitHeld(t, s, "r", n)
		want := Session{Peer: "r", Address: routerAddr, State: StateIdle, Attempts: n, Failures: n, NextAttempt: clk.Now().Add(delay)}
		if diff := cmp.Diff(want, got, ignoreSince, ignoreLastError, equateNetip); diff != "" {
			t.Fatalf("failure %d: session (-want +got):\n%s", n, diff)
		}
		// The router refuses our OPEN with a NOTIFICATION; GoBGP then
		// idles 5 s, closing our next connections before any OPEN.
		// The reason is filled in just after the session is held back
		// (it takes a ListPeer call), so wait for it.
		if n == 1 {
			waitFor(t, "the failure explained", func() string {
				if got = session(t, s, "r"); got.LastError == "" {
					return "no LastError yet"
				}
				return ""
			})
		}
		if n == 1 && !strings.HasPrefix(got.LastError, "received NOTIFICATION in OpenConfirm") && !strings.Contains(got.LastError, "hold timer expired") {
			t.Errorf("failure %d: LastError = %q, want the router's NOTIFICATION (or, if it never came, the hold timer)", n, got.LastError)
		}
		waitFor(t, "the neighbor disabled", func() string {
			return cmp.Diff(api.PeerState_DOWN, adminState(t, s, routerAddr))
		})
		// Only the speaker's clock lets the peer go.
		clk.Step(delay - time.Millisecond)
		if a := adminState(t, s, routerAddr); a != api.PeerState_DOWN {
			t.Fatalf("failure %d: neighbor %v a millisecond before its delay is over", n, a)
		}
		clk.Step(time.Millisecond)
		waitFor(t, "the neighbor added again", func() string {
			return cmp.Diff(api.PeerState_UP, adminState(t, s, routerAddr))
		})
	}
}

// TestBackoffStablePeriod checks that only a session that stayed up for
// StablePeriod starts the backoff again from ConnectTime: a router that
// drops us right after the session comes up keeps the delay growing.
func TestBackoffStablePeriod(t *testing.T) {
	needNetns(t)
	routerAddr, speakerAddr := loopbackSubnet(t)
	r := newRouter(t, routerAddr, 65000)
	r.accept(t, peering{addr: speakerAddr, asn: 64512})
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := startSpeaker(t, Options{Clock: clk, Jitter: noJitter})
	apply(t, s, Desired{RouterID: testRouterID, Peers: []Peer{{
		Name: "r", Address: routerAddr, ASN: 65000, LocalASN: 64512, SourceAddress: speakerAddr, ConnectTime: time.Second,
	}}})

	for _, step := range []struct {
		upFor        time.Duration // by the speaker's clock, before the router drops us
		wantFailures int
		wantDelay    time.Duration
	}{
		{upFor: 0, wantFailures: 1, wantDelay: time.Second},
		{upFor: 59 * time.Second, wantFailures: 2, wantDelay: 2 * time.Second},
		{upFor: 60 * time.Second, wantFailures: 1, wantDelay: time.Second},
	} {
		waitFor(t, "the session up", func() string {
			return cmp.Diff(StateEstablished, session(t, s, "r").State)
		})
		// The router too: its FSM may still be in OpenConfirm a moment
		// after ours is Established (our KEEPALIVE is on its way), and
		// GoBGP discards a reset queued before its session is up (it
		// empties the outgoing queue on every state change).
		r.waitEstablished(t, speakerAddr)
		clk.Step(step.upFor)
		select {
		case <-s.Changes(): // drop what came before
		default:
		}
		r.reset(t, speakerAddr)
		select {
		case <-s.Changes():
		case <-time.After(30 * time.Second):
			t.Fatal("Changes() did not tell of the failed session")
		}
		got := waitHeld(t, s, "r", step.wantFailures)
		if want := clk.Now().Add(step.wantDelay); !got.NextAttempt.Equal(want) {
			t.Errorf("after %v up: next attempt in %v, want %v", step.upFor, got.NextAttempt.Sub(clk.Now()), step.wantDelay)
		}
		if !strings.Contains(got.LastError, "administrative reset") {
			t.Errorf("LastError = %q, want the router's Cease", got.LastError)
		}
		clk.Step(step.wantDelay)
	}
}

var ignoreLastError = cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "LastError" }, cmp.Ignore())

// waitHeld waits until the peer has failed n consecutive times and is held
// back, and returns its session.
func waitHeld(t *testing.T, s *Speaker, peer string, n int) Session {
	t.Helper()
	var got Session
	waitFor(t, "the peer held back", func() string {
		got = session(t, s, peer)
		if got.NextAttempt.IsZero() {
			return "not held back; session: " + got.State
		}
		return cmp.Diff(n, got.Failures)
	})
	return got
}

// adminState is the speaker's GoBGP admin state of the neighbor at addr.
func adminState(t *testing.T, s *Speaker, addr netip.Addr) api.PeerState_AdminState {
	t.Helper()
	state := api.PeerState_AdminState(-1)
	err := s.srv.ListPeer(t.Context(), &api.ListPeerRequest{Address: addr.String()}, func(p *api.Peer) {
		state = p.GetState().GetAdminState()
	})
	if err != nil {
		t.Fatalf("list the speaker's neighbor: %v", err)
	}
	return state
}
