package members

import "time"

// Reasons for losing trust, as logged and as kept in trust.reason.
const (
	reasonStarting  = "starting"
	reasonStall     = "process stalled"
	reasonRefuted   = "refuted an accusation against this node"
	reasonPeerSaid  = "a peer lists this node as not alive"
	reasonLeft      = "left the cluster"
	reasonNotJoined = "peers not known yet"
)

// trust decides whether this node may count itself among the live members.
// It holds no clock and no network: callers pass the time and the facts, so
// tables test every rule. The package documentation explains the rules.
type trust struct {
	stallAfter time.Duration

	running  bool // memberlist exists and has not been shut down
	peersSet bool // SetPeers was called at least once
	left     bool

	lastBeat time.Time

	// epoch counts the events that cost trust. A join counts only for the
	// epoch in which it began, so that an event during a join (typically
	// the refutation its answer provoked) calls for another one.
	epoch   uint64
	alarmAt time.Time
	reason  string

	synced   uint64 // latest epoch in which a join began and succeeded
	syncedAt time.Time
}

// facts are what trust needs to know about the cluster at one moment.
type facts struct {
	others bool          // another member is alive in this node's view
	peers  bool          // SetPeers named another speaker
	quiet  time.Duration // the suspicion floor for the current cluster size
	alone  time.Duration // Options.AloneAfter
}

func (t *trust) start(now time.Time) {
	t.running = true
	t.lastBeat = now
	t.alarm(now, reasonStarting)
}

func (t *trust) alarm(now time.Time, reason string) {
	t.epoch++
	t.alarmAt = now
	t.reason = reason
}

// beat records that the process ran at now. A gap longer than stallAfter
// since the previous beat means the process was frozen, and costs trust; it
// returns the gap and whether it did.
func (t *trust) beat(now time.Time) (time.Duration, bool) {
	if !t.running || !now.After(t.lastBeat) {
		// Concurrent callers read the clock before they take the lock, so
		// an older time may arrive after a newer one.
		return 0, false
	}
	gap := now.Sub(t.lastBeat)
	t.lastBeat = now
	if gap <= t.stallAfter {
		return gap, false
	}
	t.alarm(now, reasonStall)
	return gap, true
}

// joined records a successful join that began in epoch.
func (t *trust) joined(epoch uint64, now time.Time) {
	if epoch > t.synced {
		t.synced = epoch
		t.syncedAt = now
	}
}

// needJoin reports whether trust waits for a join that begins now.
func (t *trust) needJoin() bool {
	return t.running && !t.left && t.synced < t.epoch
}

// ok reports whether the node may count itself alive at now.
func (t *trust) ok(now time.Time, f facts) bool {
	at, ok := t.readyAt(f)
	return ok && !now.Before(at)
}

// readyAt returns when trust returns if nothing else happens, and false when
// only a join can restore it (or nothing can).
func (t *trust) readyAt(f facts) (time.Time, bool) {
	if !t.running || !t.peersSet || t.left {
		return time.Time{}, false
	}
	var at time.Time
	ok := false
	if t.synced == t.epoch {
		at, ok = t.syncedAt.Add(f.quiet), true
	}
	if !f.others {
		// Nobody to join: either there are no other speakers, or none
		// is reachable. The quiet period (or AloneAfter) runs from the
		// event itself.
		wait := f.quiet
		if f.peers {
			wait = f.alone
		}
		if alone := t.alarmAt.Add(wait); !ok || alone.Before(at) {
			at, ok = alone, true
		}
	}
	return at, ok
}

// why explains a lack of trust, for logs.
func (t *trust) why() string {
	switch {
	case t.left:
		return reasonLeft
	case t.running && !t.peersSet:
		return reasonNotJoined
	}
	return t.reason
}
