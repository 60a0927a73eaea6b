package notify

import (
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
)

func TestNotifierCoalescesAndBoundsFrequency(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Unix(0, 0))
	n := New(time.Second, clk)
	go func() { _ = n.Start(t.Context()) }()

	a, b := types.NamespacedName{Name: "a"}, types.NamespacedName{Name: "b"}
	n.Add(a, b, a)
	got := receive(t, n, 2)
	slices.Sort(got)
	if !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("first flush %v, want a and b once each", got)
	}

	// Within the interval, keys are collected but not sent.
	n.Add(a)
	n.Add(a)
	waitWaiters(t, clk)
	select {
	case ev := <-n.Events():
		t.Fatalf("event %s before the interval passed", ev.Name)
	default:
	}
	clk.Step(time.Second)
	if got := receive(t, n, 1); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("second flush %v, want a once", got)
	}
}

func receive(t *testing.T, n *Notifier, count int) []string {
	t.Helper()
	var names []string
	for range count {
		select {
		case ev := <-n.Events():
			names = append(names, ev.Name)
		case <-time.After(5 * time.Second):
			t.Fatalf("got %v, want %d events", names, count)
		}
	}
	return names
}

// waitWaiters waits until the runner sleeps on the fake clock.
func waitWaiters(t *testing.T, clk *clocktesting.FakeClock) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !clk.HasWaiters() {
		if time.Now().After(deadline) {
			t.Fatal("runner never waited for the interval")
		}
		time.Sleep(time.Millisecond)
	}
}
