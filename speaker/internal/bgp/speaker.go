package bgp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-logr/logr"
	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/server"
	"k8s.io/utils/clock"
)

// Speaker keeps an embedded GoBGP server in line with a Desired state.
type Speaker struct {
	log     logr.Logger
	clock   clock.Clock
	backoff backoff

	running atomic.Bool
	ready   chan struct{} // closed once Run has created the server
	done    chan struct{} // closed when Run returns
	changes chan struct{}
	events  eventQueue

	// opMu serializes every change made to the GoBGP server: Apply, the
	// backoff's disable and release, and the final stop.
	opMu    sync.Mutex
	cur     applied // guarded by opMu
	nextVRF uint32  // guarded by opMu
	stopped bool    // guarded by opMu

	// mu guards what Sessions reads and what GoBGP's callbacks write. It is
	// never held across a call into GoBGP, whose goroutines log, and so
	// call back, while they serve that call.
	mu       sync.Mutex
	srv      *server.BgpServer
	trackers map[string]*tracker
	byAddr   map[netip.Addr]string
}

// New returns a Speaker; nothing runs until Run.
func New(log logr.Logger, opts Options) *Speaker {
	c := opts.Clock
	if c == nil {
		c = clock.RealClock{}
	}
	return &Speaker{
		log:      log,
		clock:    c,
		backoff:  newBackoff(opts),
		ready:    make(chan struct{}),
		done:     make(chan struct{}),
		changes:  make(chan struct{}, 1),
		events:   eventQueue{ready: make(chan struct{}, 1)},
		cur:      newApplied(),
		trackers: map[string]*tracker{},
		byAddr:   map[netip.Addr]string{},
	}
}

// Run starts the GoBGP server and owns the speaker's goroutines until ctx
// ends; then it stops the server, which sends every peer a Cease so that
// routers withdraw our routes at once, and returns. Run may be called once.
//
// GoBGP's own Serve loop cannot be ended: after the stop it stays blocked,
// idle, until the process exits.
func (s *Speaker) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("bgp: Run called twice")
	}
	defer close(s.done)
	srv := server.NewBgpServer(server.LoggerOption(gobgpLogger{log: s.log.WithName("gobgp"), peerError: s.recordError}))
	go srv.Serve()

	watchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := srv.WatchEvent(watchCtx, &api.WatchEventRequest{Peer: &api.WatchEventRequest_Peer{}}, s.events.push); err != nil {
		return fmt.Errorf("watch BGP session states: %w", err)
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	close(s.ready)

	s.loop(ctx)
	s.stop()
	return nil
}

// Apply makes the server announce exactly d: it adds, changes and removes
// peers and paths, touching only what differs from the previous Apply, so
// calling it again with the same d does nothing. A peer whose session
// settings are unchanged is never reset, and path changes never reset any
// session.
//
// Apply waits until Run has created the server (or ctx ends). Invalid input
// is refused as a whole with an error wrapping ErrInvalid. Other errors
// concern single peers: the rest of d is applied, and the next Apply retries
// what failed.
func (s *Speaker) Apply(ctx context.Context, d Desired) error {
	want, err := normalize(d)
	if err != nil {
		return err
	}
	select {
	case <-s.ready:
	case <-s.done:
		return ErrStopped
	case <-ctx.Done():
		return fmt.Errorf("wait for the BGP server to start: %w", ctx.Err())
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	if s.stopped {
		return ErrStopped
	}
	s.track(want)
	if err := s.start(ctx, want); err != nil {
		return err
	}
	return s.execute(ctx, plan(s.cur, want))
}

// Sessions returns the state of every desired peer's session, sorted by
// peer name. It is safe to call at any time.
func (s *Speaker) Sessions() []Session {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	out := s.States()
	for i := range out {
		if out[i].State == StateEstablished {
			out[i].PrefixesSent = advertised(srv, out[i].Address)
			out[i].UpdatesSent = updatesSent(srv, out[i].Address)
		}
	}
	return out
}

// States returns the sessions like Sessions, but without PrefixesSent and
// UpdatesSent, which cost GoBGP a walk of each peer's Adj-RIB-Out: it
// takes no time.
func (s *Speaker) States() []Session {
	s.mu.Lock()
	out := make([]Session, 0, len(s.trackers))
	for _, t := range s.trackers {
		out = append(out, t.Session)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Session) int { return strings.Compare(a.Peer, b.Peer) })
	return out
}

// Changes receives a value, coalesced, whenever what Sessions returns may
// have changed other than PrefixesSent, so that the caller can rewrite
// status.
func (s *Speaker) Changes() <-chan struct{} { return s.changes }

func (s *Speaker) poke() {
	select {
	case s.changes <- struct{}{}:
	default:
	}
}

// advertised counts what GoBGP sends to the neighbor at addr: its
// Adj-RIB-Out, computed on demand, for both families.
func advertised(srv *server.BgpServer, addr netip.Addr) int {
	n := 0
	for _, f := range []*api.Family{familyIPv4(), familyIPv6()} {
		t, err := srv.GetTable(context.Background(), &api.GetTableRequest{TableType: api.TableType_ADJ_OUT, Name: addr.String(), Family: f})
		if err == nil {
			n += int(t.GetNumDestination())
		}
	}
	return n
}

// updatesSent is the UPDATE count of the peer's current session.
func updatesSent(srv *server.BgpServer, addr netip.Addr) uint64 {
	var n uint64
	_ = srv.ListPeer(context.Background(), &api.ListPeerRequest{Address: addr.String()}, func(p *api.Peer) {
		n = p.GetState().GetMessages().GetSent().GetUpdate()
	})
	return n
}

// track keeps one tracker per desired peer.
func (s *Speaker) track(want desired) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	for name, p := range want.peers {
		if _, ok := s.trackers[name]; !ok {
			s.trackers[name] = &tracker{Session: Session{Peer: name, Address: p.Address, State: StateIdle, Since: now}}
		}
	}
	for name := range s.trackers {
		if _, ok := want.peers[name]; !ok {
			delete(s.trackers, name)
		}
	}
}

// recordError keeps why the session with the neighbor at addr failed. GoBGP
// calls it from its own goroutines.
func (s *Speaker) recordError(addr, reason string) {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return
	}
	s.mu.Lock()
	t := s.trackers[s.byAddr[a.Unmap()]]
	changed := t != nil && t.configured && t.LastError != reason
	if changed {
		t.LastError = reason
	}
	s.mu.Unlock()
	if changed {
		s.poke()
	}
}
