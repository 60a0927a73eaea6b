package bgp

import (
	"math/rand/v2"
	"time"
)

// backoff decides how long a failed peer is held back.
type backoff struct {
	max    time.Duration
	stable time.Duration
	jitter func(time.Duration) time.Duration
}

func newBackoff(o Options) backoff {
	b := backoff{max: o.MaxBackoff, stable: o.StablePeriod, jitter: o.Jitter}
	if b.max <= 0 {
		b.max = defaultMaxBackoff
	}
	if b.stable <= 0 {
		b.stable = defaultStablePeriod
	}
	if b.jitter == nil {
		b.jitter = tenPercent
	}
	return b
}

// tenPercent spreads a delay over [d, 1.1·d).
func tenPercent(d time.Duration) time.Duration {
	if d < 10 {
		return d
	}
	return d + rand.N(d/10)
}

// delay is the wait after the n-th consecutive failure (n ≥ 1): base,
// doubling with each further failure, capped at max, then jittered.
func (b backoff) delay(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < b.max; i++ {
		d *= 2
	}
	return b.jitter(min(d, b.max))
}

// tracker follows one peer's session. Its Session is what Sessions reports.
type tracker struct {
	Session
	// configured is true while GoBGP has a neighbor for the peer.
	configured bool
	// gen changes whenever the neighbor is added again, so that a decision
	// taken for one incarnation is not carried out on the next.
	gen uint64
	// base is the first backoff delay: the peer's ConnectTime.
	base time.Duration
	// establishedAt is when the session last became Established.
	establishedAt time.Time
	// failedIn is the state the session last failed in.
	failedIn string
	// recvNotifications and sentNotifications are GoBGP's NOTIFICATION
	// counters for the neighbor when the session last failed.
	recvNotifications, sentNotifications uint64
}

// isOpen reports whether a session in state s has exchanged a TCP connection
// and an OPEN: falling back from here is a failure, while moving between
// Idle and Active is only GoBGP trying to connect.
func isOpen(s string) bool {
	return s == StateOpenSent || s == StateOpenConfirm || s == StateEstablished
}

// configure records that the neighbor was (re)added with settings p: a new
// session starts, without backoff and without the old error. Attempts keeps
// counting, as metrics expect.
func (t *tracker) configure(p Peer, now time.Time) {
	t.Address = p.Address
	t.base = p.ConnectTime
	t.configured = true
	t.gen++
	t.State, t.Since = StateIdle, now
	t.LastError = ""
	t.Failures = 0
	t.NextAttempt = time.Time{}
	t.establishedAt = time.Time{}
	t.failedIn = ""
	t.recvNotifications, t.sentNotifications = 0, 0
}

// release records that a held-back neighbor was added again, with the
// same settings: the failure count stays.
func (t *tracker) release(now time.Time) {
	t.gen++
	t.NextAttempt = time.Time{}
	if t.State != StateIdle {
		t.State, t.Since = StateIdle, now
	}
}

// unconfigure records that the neighbor was deleted.
func (t *tracker) unconfigure(now time.Time) {
	t.configured = false
	t.gen++
	if t.State != StateIdle {
		t.State, t.Since = StateIdle, now
	}
	t.NextAttempt = time.Time{}
}

// observe records a state GoBGP reported at now. It returns true when the
// session just failed: the caller must disable the peer until NextAttempt.
func (t *tracker) observe(state string, now time.Time, b backoff) bool {
	if !t.configured || state == t.State {
		return false
	}
	prev := t.State
	t.State, t.Since = state, now
	switch state {
	case StateOpenSent:
		t.Attempts++
	case StateEstablished:
		t.establishedAt = now
	}
	if !isOpen(prev) || isOpen(state) {
		return false
	}
	// Only a session that stayed up for a while proves the router accepts
	// us; one that dies soon after coming up keeps the count growing.
	if prev == StateEstablished && now.Sub(t.establishedAt) >= b.stable {
		t.Failures = 0
	}
	t.Failures++
	t.failedIn = prev
	t.NextAttempt = now.Add(b.delay(t.base, t.Failures))
	return true
}

// due reports whether a held-back peer must be enabled at now.
func (t *tracker) due(now time.Time) bool {
	return t.configured && !t.NextAttempt.IsZero() && !now.Before(t.NextAttempt)
}
