package app

import (
	"context"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/ironlb/ironlb/speaker/internal/bgp"
)

// countingAnnouncer serves fixed sessions and counts the costly reads.
type countingAnnouncer struct {
	states []bgp.Session
	sent   int // PrefixesSent of every session, as GoBGP would count
	full   int // Sessions calls
}

func (a *countingAnnouncer) Apply(context.Context, bgp.Desired) error { return nil }

func (a *countingAnnouncer) States() []bgp.Session {
	return append([]bgp.Session(nil), a.states...)
}

func (a *countingAnnouncer) Sessions() []bgp.Session {
	a.full++
	out := a.States()
	for i := range out {
		out[i].PrefixesSent = a.sent
	}
	return out
}

func TestSessionCountersRefresh(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clocktesting.NewFakeClock(start)
	ann := &countingAnnouncer{states: []bgp.Session{
		{Peer: "router", State: bgp.StateEstablished, Since: start},
		{Peer: "router2", State: bgp.StateEstablished, Since: start},
	}, sent: 5}
	r := &runner{opts: Options{StatusInterval: time.Second}, bgp: ann, clock: clk}

	step := func(name string, wantFull, wantSent int, wantRefresh time.Duration) {
		t.Helper()
		got, refresh := r.sessions()
		if ann.full != wantFull {
			t.Errorf("%s: %d costly reads, want %d", name, ann.full, wantFull)
		}
		if refresh != wantRefresh {
			t.Errorf("%s: refresh in %s, want %s", name, refresh, wantRefresh)
		}
		for _, s := range got {
			if s.PrefixesSent != wantSent {
				t.Errorf("%s: %s PrefixesSent %d, want %d", name, s.Peer, s.PrefixesSent, wantSent)
			}
		}
	}
	step("first pass reads the counters", 1, 5, 0)
	ann.sent = 7
	clk.Step(300 * time.Millisecond)
	step("a pass soon after reuses them and asks for a refresh", 1, 5, 700*time.Millisecond)
	clk.Step(700 * time.Millisecond)
	step("the refresh pass reads them again", 2, 7, 0)

	ann.sent = 8
	clk.Step(100 * time.Millisecond)
	ann.states[1].State, ann.states[1].Since = bgp.StateIdle, clk.Now()
	step("a session changed state: read at once", 3, 8, 0)
	clk.Step(100 * time.Millisecond)
	ann.states = ann.states[:1]
	step("a peer went away: read at once", 4, 8, 0)
}
