package layer2

import (
	"cmp"
	"net/netip"
	"slices"
	"time"
)

// pair is one address answered on one interface.
type pair struct {
	ip     netip.Addr
	ifname string
}

func comparePairs(a, b pair) int {
	if c := cmp.Compare(a.ifname, b.ifname); c != 0 {
		return c
	}
	return a.ip.Compare(b.ip)
}

// schedule holds the gratuitous packets still to send. It is pure: the
// caller passes the time, so it is tested without a clock.
type schedule struct {
	offsets []time.Duration // sorted, first usually 0
	pending map[pair]burst
}

type burst struct {
	start time.Time
	next  int // index into offsets of the next packet
}

func newSchedule(offsets []time.Duration) *schedule {
	return &schedule{offsets: offsets, pending: map[pair]burst{}}
}

// add starts a burst for p at now, replacing any burst p had.
func (s *schedule) add(p pair, now time.Time) {
	if len(s.offsets) == 0 {
		return
	}
	s.pending[p] = burst{start: now}
}

// cancel drops what is left of p's burst.
func (s *schedule) cancel(p pair) { delete(s.pending, p) }

// due returns, sorted, the pairs that have a packet due at now, and moves
// each past every offset that has passed: a late caller sends one packet,
// not a volley, because what matters is the spacing around the receivers'
// locktime, not the count.
func (s *schedule) due(now time.Time) []pair {
	var ps []pair
	for p, b := range s.pending {
		if b.start.Add(s.offsets[b.next]).After(now) {
			continue
		}
		ps = append(ps, p)
		for b.next < len(s.offsets) && !b.start.Add(s.offsets[b.next]).After(now) {
			b.next++
		}
		if b.next == len(s.offsets) {
			delete(s.pending, p)
		} else {
			s.pending[p] = b
		}
	}
	slices.SortFunc(ps, comparePairs)
	return ps
}

// next returns when the earliest pending packet is due.
func (s *schedule) next() (time.Time, bool) {
	var first time.Time
	for _, b := range s.pending {
		if t := b.start.Add(s.offsets[b.next]); first.IsZero() || t.Before(first) {
			first = t
		}
	}
	return first, !first.IsZero()
}
