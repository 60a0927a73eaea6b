package bgp

import (
	"context"
	"net/netip"
	"sync"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	"k8s.io/utils/clock"
)

// peerEvent is a session state GoBGP reported.
type peerEvent struct {
	addr  netip.Addr
	state string
}

// eventQueue hands GoBGP's session events to Run's loop. GoBGP calls push
// from its watcher goroutine; push never blocks, so a busy loop cannot stall
// GoBGP, and no event is dropped.
type eventQueue struct {
	mu    sync.Mutex
	items []peerEvent
	ready chan struct{}
}

func (q *eventQueue) push(r *api.WatchEventResponse) {
	ev := r.GetPeer()
	if ev.GetType() != api.WatchEventResponse_PeerEvent_STATE {
		return
	}
	st := ev.GetPeer().GetState()
	addr, err := netip.ParseAddr(st.GetNeighborAddress())
	if err != nil {
		return
	}
	q.mu.Lock()
	q.items = append(q.items, peerEvent{addr: addr.Unmap(), state: stateName(st.GetSessionState())})
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *eventQueue) drain() []peerEvent {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}

// loop follows session states and runs the backoff until ctx ends.
func (s *Speaker) loop(ctx context.Context) {
	for {
		var timer clock.Timer
		var fire <-chan time.Time
		if next := s.nextAttempt(); !next.IsZero() {
			d := next.Sub(s.clock.Now())
			if d <= 0 && ctx.Err() == nil {
				s.releaseDue(ctx)
				continue
			}
			timer = s.clock.NewTimer(d)
			fire = timer.C()
		}
		select {
		case <-ctx.Done():
		case <-s.events.ready:
			s.handleEvents(ctx)
		case <-fire:
			s.releaseDue(ctx)
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// nextAttempt is the earliest time a held-back peer is due, or zero.
func (s *Speaker) nextAttempt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var next time.Time
	for _, t := range s.trackers {
		if t.configured && !t.NextAttempt.IsZero() && (next.IsZero() || t.NextAttempt.Before(next)) {
			next = t.NextAttempt
		}
	}
	return next
}

// held identifies one incarnation of a neighbor that the loop acts on.
type held struct {
	name string
	addr netip.Addr
	gen  uint64
}

func (s *Speaker) handleEvents(ctx context.Context) {
	var failed []held
	changed := false
	s.mu.Lock()
	now := s.clock.Now()
	for _, e := range s.events.drain() {
		name, ok := s.byAddr[e.addr]
		t := s.trackers[name]
		if !ok || t == nil {
			continue // a neighbor deleted since
		}
		before := t.Session
		if t.observe(e.state, now, s.backoff) {
			failed = append(failed, held{name: name, addr: e.addr, gen: t.gen})
		} else if t.State != before.State {
			log := s.log.V(1)
			if t.State == StateEstablished || before.State == StateEstablished {
				log = s.log
			}
			log.Info("BGP session state changed", "peer", name, "address", e.addr, "from", before.State, "to", t.State)
		}
		changed = changed || t.Session != before
	}
	s.mu.Unlock()
	if changed {
		s.poke()
	}
	for _, h := range failed {
		s.explainFailure(ctx, h)
		s.disable(ctx, h)
	}
}

// explainFailure fills in LastError for a session that failed before it was
// established. GoBGP logs nothing when a router refuses our OPEN with a
// NOTIFICATION, and reports the reason nowhere else; its message counters
// at least tell whether one came.
func (s *Speaker) explainFailure(ctx context.Context, h held) {
	var recv, sent uint64
	err := s.server().ListPeer(ctx, &api.ListPeerRequest{Address: h.addr.String()}, func(p *api.Peer) {
		recv = p.GetState().GetMessages().GetReceived().GetNotification()
		sent = p.GetState().GetMessages().GetSent().GetNotification()
	})
	s.mu.Lock()
	t := s.current(h)
	if t == nil {
		s.mu.Unlock()
		return
	}
	newRecv, newSent := recv > t.recvNotifications, sent > t.sentNotifications
	t.recvNotifications, t.sentNotifications = recv, sent
	if err == nil && t.failedIn != StateEstablished {
		switch {
		case newRecv:
			t.LastError = "received NOTIFICATION in " + t.failedIn + " (GoBGP does not report its code)"
		case newSent:
			// Logged, with its code, when sent.
		default:
			t.LastError = "connection closed in " + t.failedIn
		}
	}
	session, in := t.Session, t.failedIn
	s.mu.Unlock()
	s.poke()
	s.log.Info("BGP session failed; holding the peer back", "peer", h.name, "address", h.addr,
		"in", in, "failures", session.Failures, "until", session.NextAttempt, "lastError", session.LastError)
}

// releaseDue releases the held-back peers whose delay is over.
func (s *Speaker) releaseDue(ctx context.Context) {
	var due []held
	s.mu.Lock()
	now := s.clock.Now()
	for name, t := range s.trackers {
		if t.due(now) {
			due = append(due, held{name: name, addr: t.Address, gen: t.gen})
		}
	}
	s.mu.Unlock()
	for _, h := range due {
		s.release(ctx, h)
	}
}

// current returns the tracker of h if Apply has not replaced or removed the
// neighbor since h was taken. mu must be held.
func (s *Speaker) current(h held) *tracker {
	t := s.trackers[h.name]
	if t == nil || !t.configured || t.gen != h.gen {
		return nil
	}
	return t
}

// disable stops GoBGP from reconnecting to a failed peer on its own.
func (s *Speaker) disable(ctx context.Context, h held) {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	s.mu.Lock()
	ok := s.current(h) != nil
	s.mu.Unlock()
	if s.stopped || !ok {
		return
	}
	if err := s.server().DisablePeer(ctx, &api.DisablePeerRequest{Address: h.addr.String()}); err != nil {
		s.log.Error(err, "Disabling a failed BGP peer failed", "peer", h.name)
	}
}

// release lets a held-back peer connect again. It replaces the disabled
// neighbor with a new one rather than enabling it: GoBGP holds an enabled
// neighbor idle for a fixed 5 s first, on top of our delay, while a new
// one connects at once.
func (s *Speaker) release(ctx context.Context, h held) {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	p, configured := s.cur.peers[h.name]
	s.mu.Lock()
	t := s.current(h)
	if t != nil && !configured {
		t.NextAttempt = time.Time{} // cannot happen; never spin on it
	}
	s.mu.Unlock()
	if s.stopped || t == nil || !configured {
		return
	}
	srv := s.server()
	// DeletePeer fails only when the neighbor is gone already, which is
	// what it is for.
	_ = srv.DeletePeer(ctx, &api.DeletePeerRequest{Address: p.Address.String()})
	err := srv.AddPeer(ctx, &api.AddPeerRequest{Peer: neighbor(p, h.name)})
	s.mu.Lock()
	if t := s.current(h); t != nil {
		if err == nil {
			t.release(s.clock.Now())
		} else {
			// The next Apply adds the neighbor again.
			delete(s.cur.peers, h.name)
			delete(s.byAddr, p.Address)
			t.unconfigure(s.clock.Now())
			t.LastError = err.Error()
		}
	}
	s.mu.Unlock()
	s.poke()
	if err != nil {
		s.log.Error(err, "Re-adding a held-back BGP peer failed", "peer", h.name)
		return
	}
	s.log.V(1).Info("Released BGP peer after backoff", "peer", h.name, "address", p.Address)
}
