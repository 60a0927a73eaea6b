package app

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
)

// loop runs a pass whenever it is poked, at most burst passes per interval,
// and again after a failure with exponential backoff. Events only poke it;
// the pass reads the whole state (the bounded-frequency runner of
// kube-proxy and kindnet). A poke during a pass causes one more pass, so no
// change is lost. The burst lets the few events of one change (a Service's
// address, then its endpoints) each apply at once, while a storm of events
// costs at most burst passes per interval.
type loop struct {
	// log is given, not taken from the context: the manager does not pass
	// its caller's context to runnables.
	log      logr.Logger
	interval time.Duration
	burst    int
	// maxBackoff caps the delay between failed passes.
	maxBackoff time.Duration
	clock      clock.WithTicker
	// pass returns a delay after which it wants to run again (0: only when
	// poked) or an error to retry with backoff.
	pass func(ctx context.Context) (again time.Duration, err error)

	kick chan struct{}
	// afterPass, if set, is called once a pass and its bookkeeping are
	// done: tests step their clock only then, since a step during the
	// bookkeeping would count as the pass's own duration.
	afterPass func()
}

func newLoop(log logr.Logger, name string, interval time.Duration, burst int, clk clock.WithTicker, pass func(context.Context) (time.Duration, error)) *loop {
	return &loop{
		log: log.WithValues("loop", name), interval: interval, burst: max(burst, 1), maxBackoff: 30 * time.Second,
		clock: clk, pass: pass, kick: make(chan struct{}, 1),
	}
}

// Poke asks for a pass soon. It never blocks.
func (l *loop) Poke() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Start runs passes until ctx ends.
func (l *loop) Start(ctx context.Context) error {
	log := l.log
	ctx = logr.NewContext(ctx, log)
	var (
		// recent are the start times of the last burst passes, oldest
		// first.
		recent []time.Time
		// lastTook is how long the last pass ran.
		lastTook time.Duration
		backoff  time.Duration
		timer    clock.Timer
		due      <-chan time.Time
	)
	schedule := func(d time.Duration) {
		if timer != nil {
			timer.Stop()
		}
		timer = l.clock.NewTimer(d)
		due = timer.C()
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.kick:
			wait := l.spacing(recent, lastTook)
			if wait > 0 {
				schedule(wait)
				continue
			}
		case <-due:
			due = nil
		}
		if len(recent) == l.burst {
			recent = recent[1:]
		}
		started := l.clock.Now()
		recent = append(recent, started)
		again, err := l.pass(ctx)
		lastTook = l.clock.Since(started)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			backoff = min(max(2*backoff, l.interval, 100*time.Millisecond), l.maxBackoff)
			log.Error(err, "Pass failed; retrying", "after", backoff)
			schedule(backoff)
		case again > 0:
			backoff = 0
			schedule(again)
		default:
			backoff = 0
		}
		if l.afterPass != nil {
			l.afterPass()
		}
	}
}

// spacing is how long a poke must wait: until the oldest of the last burst
// passes is an interval old, and until the machine has had twice the last
// pass's duration to itself, so that a storm of events on a large cluster
// costs the speaker at most about a third of a core.
func (l *loop) spacing(recent []time.Time, lastTook time.Duration) time.Duration {
	var wait time.Duration
	if len(recent) == l.burst {
		wait = l.interval - l.clock.Since(recent[0])
	}
	if n := len(recent); n > 0 {
		wait = max(wait, 3*lastTook-l.clock.Since(recent[n-1]))
	}
	return wait
}
