package bgp

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBackoffDelay(t *testing.T) {
	t.Parallel()
	b := newBackoff(Options{Jitter: noJitter})
	var got []time.Duration
	for n := 1; n <= 8; n++ {
		got = append(got, b.delay(5*time.Second, n))
	}
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 2 * time.Minute, 2 * time.Minute, 2 * time.Minute}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
	for range 100 {
		if d := tenPercent(10 * time.Second); d < 10*time.Second || d >= 11*time.Second {
			t.Fatalf("jitter of 10s gave %v, want within [10s, 11s)", d)
		}
	}
}

// TestTrackerObserve feeds GoBGP's state changes to a tracker and checks the
// backoff it decides.
func TestTrackerObserve(t *testing.T) {
	t.Parallel()
	type step struct {
		after time.Duration // since the previous step
		state string
		// want, after the step
		fail     bool
		attempts int
		failures int
		retryIn  time.Duration
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{{
		name: "retries toward a router that refuses the OPEN",
		steps: []step{
			{state: StateActive},
			{after: time.Second, state: StateOpenSent, attempts: 1},
			{state: StateOpenConfirm, attempts: 1},
			{state: StateIdle, fail: true, attempts: 1, failures: 1, retryIn: time.Second},
			{after: 9 * time.Second, state: StateActive, attempts: 1, failures: 1},
			{state: StateOpenSent, attempts: 2, failures: 1},
			{state: StateIdle, fail: true, attempts: 2, failures: 2, retryIn: 2 * time.Second},
		},
	}, {
		name: "dial failures are GoBGP's to retry",
		steps: []step{
			{state: StateActive},
			{after: time.Minute, state: StateIdle},
			{state: StateActive},
		},
	}, {
		name: "a session that dies soon after coming up keeps counting",
		steps: []step{
			{state: StateOpenSent, attempts: 1},
			{state: StateEstablished, attempts: 1},
			{after: 59 * time.Second, state: StateIdle, fail: true, attempts: 1, failures: 1, retryIn: time.Second},
			{state: StateOpenSent, attempts: 2, failures: 1},
			{state: StateEstablished, attempts: 2, failures: 1},
			{after: 30 * time.Second, state: StateActive, fail: true, attempts: 2, failures: 2, retryIn: 2 * time.Second},
		},
	}, {
		name: "a session stable for a minute starts over",
		steps: []step{
			{state: StateOpenSent, attempts: 1},
			{state: StateIdle, fail: true, attempts: 1, failures: 1, retryIn: time.Second},
			{state: StateOpenSent, attempts: 2, failures: 1},
			{state: StateIdle, fail: true, attempts: 2, failures: 2, retryIn: 2 * time.Second},
			{state: StateOpenSent, attempts: 3, failures: 2},
			{state: StateEstablished, attempts: 3, failures: 2},
			{after: time.Minute, state: StateIdle, fail: true, attempts: 3, failures: 1, retryIn: time.Second},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBackoff(Options{Jitter: noJitter})
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			var tr tracker
			tr.configure(Peer{ConnectTime: time.Second}, now)
			for i, s := range tc.steps {
				now = now.Add(s.after)
				fail := tr.observe(s.state, now, b)
				var retryIn time.Duration
				if fail {
					retryIn = tr.NextAttempt.Sub(now)
				}
				type result struct {
					Fail               bool
					Attempts, Failures int
					RetryIn            time.Duration
				}
				want := result{s.fail, s.attempts, s.failures, s.retryIn}
				got := result{fail, tr.Attempts, tr.Failures, retryIn}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("step %d (%s): (-want +got):\n%s", i, s.state, diff)
				}
				if tr.State != s.state || !tr.Since.Equal(now) {
					t.Fatalf("step %d: state %s since %v, want %s since %v", i, tr.State, tr.Since, s.state, now)
				}
				if fail {
					tr.release(now) // as the speaker does once the delay is over
				}
			}
		})
	}
}

func TestTrackerIgnoresUnconfigured(t *testing.T) {
	t.Parallel()
	now := time.Now()
	var tr tracker
	tr.configure(Peer{ConnectTime: time.Second}, now)
	tr.observe(StateOpenSent, now, newBackoff(Options{}))
	tr.unconfigure(now)
	if tr.observe(StateIdle, now, newBackoff(Options{})) || tr.Failures != 0 {
		t.Errorf("a deleted neighbor's last event counted as a failure")
	}
}
