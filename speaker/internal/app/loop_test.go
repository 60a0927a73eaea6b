package app

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	clocktesting "k8s.io/utils/clock/testing"
)

// recorder is a pass that records when it ran and fails while told to.
// ran is signalled once the loop is done with the pass.
type recorder struct {
	mu   sync.Mutex
	runs []time.Time
	fail bool
	ran  chan struct{}
	clk  *clocktesting.FakeClock
}

func (r *recorder) pass(context.Context) (time.Duration, error) {
	r.mu.Lock()
	r.runs = append(r.runs, r.clk.Now())
	fail := r.fail
	r.mu.Unlock()
	if fail {
		return 0, errors.New("apiserver away")
	}
	return 0, nil
}

func startLoop(t *testing.T, interval time.Duration, burst int) (*loop, *recorder) {
	t.Helper()
	clk := clocktesting.NewFakeClock(time.Unix(1_000_000, 0))
	r := &recorder{ran: make(chan struct{}, 16), clk: clk}
	l := newLoop(logr.Discard(), "test", interval, burst, clk, r.pass)
	l.afterPass = func() { r.ran <- struct{}{} }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { _ = l.Start(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return l, r
}

func waitRun(t *testing.T, r *recorder) {
	t.Helper()
	select {
	case <-r.ran:
	case <-time.After(10 * time.Second):
		t.Fatal("no pass")
	}
}

// waitTimer waits until the loop sleeps on the fake clock with no poke
// pending. The state must hold for a while: a loop that has just taken the
// last poke may still be replacing its timer, and stepping the clock in
// between would set the new timer past the step.
func waitTimer(t *testing.T, r *recorder, l *loop) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for quiet := 0; quiet < 20; {
		if r.clk.HasWaiters() && len(l.kick) == 0 {
			quiet++
		} else {
			quiet = 0
		}
		if time.Now().After(deadline) {
			t.Fatal("the loop never settled on a timer")
		}
		time.Sleep(time.Millisecond)
	}
}

// A lone poke runs at once; pokes within the interval are coalesced into one
// pass at the end of the interval.
func TestLoopCoalesces(t *testing.T) {
	l, r := startLoop(t, time.Second, 1)
	l.Poke()
	waitRun(t, r)
	for range 10 {
		l.Poke()
	}
	waitTimer(t, r, l)
	select {
	case <-r.ran:
		t.Fatal("a pass ran before the interval passed")
	default:
	}
	r.clk.Step(time.Second)
	waitRun(t, r)
	if got := len(r.runs); got != 2 {
		t.Errorf("%d passes for 11 pokes, want 2", got)
	}
	if d := r.runs[1].Sub(r.runs[0]); d != time.Second {
		t.Errorf("second pass %s after the first, want the interval (1s)", d)
	}
}

// A failed pass is retried without a poke, with a delay that doubles.
func TestLoopRetriesWithBackoff(t *testing.T) {
	l, r := startLoop(t, 100*time.Millisecond, 1)
	r.mu.Lock()
	r.fail = true
	r.mu.Unlock()
	l.Poke()
	waitRun(t, r)
	for _, want := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
		waitTimer(t, r, l)
		r.clk.Step(want)
		waitRun(t, r)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var gaps []time.Duration
	for i := 1; i < len(r.runs); i++ {
		gaps = append(gaps, r.runs[i].Sub(r.runs[i-1]))
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}
	for i := range want {
		if gaps[i] != want[i] {
			t.Errorf("retry gaps %v, want %v", gaps, want)
			break
		}
	}
}

// Up to burst pokes run at once; the next waits for the oldest of them to
// be an interval old.
func TestLoopBurst(t *testing.T) {
	l, r := startLoop(t, time.Second, 3)
	for range 3 {
		l.Poke()
		waitRun(t, r)
		r.clk.Step(10 * time.Millisecond)
	}
	l.Poke()
	waitTimer(t, r, l)
	select {
	case <-r.ran:
		t.Fatal("a fourth pass ran within the interval")
	default:
	}
	r.clk.Step(970 * time.Millisecond)
	waitRun(t, r)
	r.mu.Lock()
	defer r.mu.Unlock()
	if d := r.runs[3].Sub(r.runs[0]); d != time.Second {
		t.Errorf("fourth pass %s after the first, want the interval (1s)", d)
	}
}

// A slow pass spaces the next one out: at most a third of the time goes
// to passes.
func TestLoopSpacing(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(1_000_000, 0))
	l := newLoop(logr.Discard(), "test", 100*time.Millisecond, 3, clk, nil)
	start := clk.Now()
	recent := []time.Time{start}
	clk.Step(500 * time.Millisecond) // the pass took 500ms
	if got, want := l.spacing(recent, 500*time.Millisecond), time.Second; got != want {
		t.Errorf("after a 500ms pass: wait %s, want %s", got, want)
	}
	clk.Step(time.Second)
	if got := l.spacing(recent, 500*time.Millisecond); got > 0 {
		t.Errorf("1.5s after a 500ms pass began: wait %s, want none", got)
	}
}
