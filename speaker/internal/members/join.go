package members

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// Join retry delays. A known peer that is not a member is retried from
// joinMinBackoff, doubling to joinMaxBackoff, which bounds how late a healed
// partition is noticed. A join to regain trust is retried faster, because
// the node is silent meanwhile.
const (
	joinMinBackoff   = 100 * time.Millisecond
	joinMaxBackoff   = 2 * time.Second
	resyncMinBackoff = 50 * time.Millisecond
	resyncMaxBackoff = time.Second
)

// joinResult is the outcome of one join, begun in epoch.
type joinResult struct {
	addr  netip.AddrPort
	epoch uint64
	err   error
}

// retry is the schedule of one known peer that is not a member.
type retry struct {
	next    time.Time
	backoff time.Duration
}

// joiner is the join schedule; only Run's loop touches it.
type joiner struct {
	retries       map[netip.AddrPort]*retry
	inflight      map[netip.AddrPort]uint64 // joins under way, by epoch begun
	resyncNext    time.Time
	resyncBackoff time.Duration
	turn          int // rotates the peer a resync join goes to
}

// snapshot is what one pass of the loop reads under m.mu.
type snapshot struct {
	ml       *memberlist.Memberlist
	left     bool
	epoch    uint64
	needJoin bool
	peers    []netip.AddrPort
	members  map[netip.AddrPort]bool // the other members' addresses
	trusted  bool
	changed  bool
	why      string
	readyAt  time.Time
	ready    bool
	stalled  time.Duration // the gap, when this look found a stall
}

// loop runs until ctx ends: it beats the stall detector, starts joins, and
// tells the caller when trust changes with the passing of time.
func (m *Members) loop(ctx context.Context, wg *sync.WaitGroup) {
	beatEvery := m.opts.StallAfter / 5
	j := &joiner{
		retries:       make(map[netip.AddrPort]*retry),
		inflight:      make(map[netip.AddrPort]uint64),
		resyncBackoff: resyncMinBackoff,
	}
	results := make(chan joinResult)
	timer := m.opts.Clock.NewTimer(beatEvery)
	defer timer.Stop()
	for {
		now := m.opts.Clock.Now()
		s := m.look(now)
		if s.stalled > 0 {
			m.alarmed(reasonStall, "gap", s.stalled)
		}
		if s.changed {
			if s.trusted {
				m.log.Info("Trusted to answer")
			} else {
				m.log.Info("Not trusted to answer", "reason", s.why)
			}
			poke(m.changes)
		}
		next := now.Add(beatEvery)
		if s.ml != nil && !s.left {
			next = earliest(next, m.startJoins(ctx, wg, j, s, now, results))
		}
		if !s.trusted && s.ready {
			next = earliest(next, s.readyAt)
		}
		timer.Reset(max(next.Sub(now), time.Millisecond))
		select {
		case <-ctx.Done():
			return
		case <-m.wake:
		case <-timer.C():
		case r := <-results:
			m.joinDone(j, r)
		}
	}
}

func (m *Members) look(now time.Time) snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	gap, stalled := m.trust.beat(now)
	f := m.factsLocked()
	s := snapshot{
		ml:       m.ml,
		left:     m.trust.left,
		epoch:    m.trust.epoch,
		needJoin: m.trust.needJoin(),
		peers:    m.peers,
		members:  make(map[netip.AddrPort]bool, len(m.members)),
		trusted:  m.trust.ok(now, f),
		why:      m.trust.why(),
	}
	if stalled {
		s.stalled = gap
	}
	s.readyAt, s.ready = m.trust.readyAt(f)
	for name, mem := range m.members {
		if name != m.opts.NodeName {
			s.members[mem.Addr] = true
		}
	}
	s.changed = s.trusted != m.reported
	m.reported = s.trusted
	return s
}

// startJoins joins the known peers that are not members when their retry is
// due, and one more peer when trust waits for a join. It returns when it
// next has something to do.
func (m *Members) startJoins(ctx context.Context, wg *sync.WaitGroup, j *joiner, s snapshot, now time.Time, results chan<- joinResult) time.Time {
	var next time.Time
	start := func(addr netip.AddrPort) {
		j.inflight[addr] = s.epoch
		wg.Go(func() {
			_, err := s.ml.Join([]string{addr.String()})
			select {
			case results <- joinResult{addr: addr, epoch: s.epoch, err: err}:
			case <-ctx.Done():
			}
		})
	}
	for addr := range j.retries {
		if !slices.Contains(s.peers, addr) || s.members[addr] {
			delete(j.retries, addr)
		}
	}
	for _, addr := range s.peers {
		if s.members[addr] {
			continue
		}
		r := j.retries[addr]
		if r == nil {
			r = &retry{next: now, backoff: joinMinBackoff}
			j.retries[addr] = r
		}
		if _, busy := j.inflight[addr]; busy {
			continue
		}
		if now.Before(r.next) {
			next = earliest(next, r.next)
			continue
		}
		start(addr)
	}
	if !s.needJoin || slices.Contains(values(j.inflight), s.epoch) {
		return next
	}
	if now.Before(j.resyncNext) {
		return earliest(next, j.resyncNext)
	}
	// Any peer will do, member or not; the ones tried last go last.
	var candidates []netip.AddrPort
	for addr := range s.members {
		candidates = append(candidates, addr)
	}
	for _, addr := range s.peers {
		if !s.members[addr] {
			candidates = append(candidates, addr)
		}
	}
	candidates = slices.DeleteFunc(candidates, func(a netip.AddrPort) bool {
		_, busy := j.inflight[a]
		return busy
	})
	if len(candidates) == 0 {
		return next
	}
	slices.SortFunc(candidates, netip.AddrPort.Compare)
	j.turn++
	start(candidates[j.turn%len(candidates)])
	j.resyncNext = now.Add(j.resyncBackoff)
	j.resyncBackoff = min(2*j.resyncBackoff, resyncMaxBackoff)
	return next
}

func (m *Members) joinDone(j *joiner, r joinResult) {
	delete(j.inflight, r.addr)
	now := m.opts.Clock.Now()
	if r.err != nil {
		m.log.V(1).Info("Join failed", "peer", r.addr, "err", r.err.Error())
		if rt := j.retries[r.addr]; rt != nil {
			rt.next = now.Add(rt.backoff)
			rt.backoff = min(2*rt.backoff, joinMaxBackoff)
		}
		return
	}
	m.mu.Lock()
	m.trust.joined(r.epoch, now)
	m.mu.Unlock()
	j.resyncBackoff = resyncMinBackoff
	if rt := j.retries[r.addr]; rt != nil {
		// The peer is normally a member now, and its retry is dropped.
		// If it is not (its advertised address differs from the one
		// SetPeers gave), joining it again at once would only loop.
		rt.next = now.Add(joinMaxBackoff)
		rt.backoff = joinMinBackoff
	}
}

// earliest returns the earlier of two times, ignoring zero ones.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func values[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
