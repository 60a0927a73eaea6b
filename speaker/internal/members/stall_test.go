package members

import (
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"
)

// tick is how far the tests move a fake clock at a time: well below
// StallAfter, so that moving it is not taken for a stall.
const tick = 50 * time.Millisecond

// advance moves fc a tick at a time until cond holds. cond is expected to
// call Trusted, which beats the stall detector between ticks.
func advance(t *testing.T, fc *testingclock.FakeClock, what string, cond func() bool) {
	t.Helper()
	waitFor(t, what, func() bool {
		if cond() {
			return true
		}
		fc.Step(tick)
		return false
	})
}

func TestStallAlone(t *testing.T) {
	fc := testingclock.NewFakeClock(time.Now())
	n := cluster(t, []string{"a"}, func(_ int, o *Options) { o.Clock = fc })[0]
	advance(t, fc, "a lone member to trust itself", n.m.Trusted)

	drain(n.m.Changes())
	// The process "freezes" for a second: no beat happens meanwhile.
	fc.Step(time.Second)
	if n.m.Trusted() {
		t.Fatal("trusted right after a stall")
	}
	if got := n.m.reason(); got != reasonStall {
		t.Errorf("reason = %q, want %q", got, reasonStall)
	}
	select {
	case <-n.m.Changes():
	default:
		t.Error("Changes was not poked by the stall")
	}
	if _, ok := n.m.Alive()["a"]; ok {
		t.Error("Alive lists this node while it is not trusted")
	}
	advance(t, fc, "trust to return a quiet period after the stall", n.m.Trusted)
}

func TestStallNeedsJoin(t *testing.T) {
	fc := testingclock.NewFakeClock(time.Now())
	nodes := cluster(t, []string{"a", "b"}, func(i int, o *Options) {
		if i == 0 {
			o.Clock = fc
		}
	})
	a, b := nodes[0], nodes[1]
	waitFor(t, "b to see a and b", sees([]*testNode{b}, "a", "b"))
	advance(t, fc, "a to trust itself", a.m.Trusted)

	fc.Step(time.Second)
	if a.m.Trusted() {
		t.Fatal("a trusted right after a stall")
	}
	a.m.mu.Lock()
	stallEpoch := a.m.trust.epoch
	a.m.mu.Unlock()

	advance(t, fc, "a to trust itself after the stall", a.m.Trusted)
	a.m.mu.Lock()
	synced := a.m.trust.synced
	a.m.mu.Unlock()
	if synced < stallEpoch {
		t.Errorf("a trusted itself with its last join in epoch %d, before the stall (epoch %d)", synced, stallEpoch)
	}
}
