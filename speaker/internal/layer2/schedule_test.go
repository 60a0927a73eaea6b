package layer2

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSchedule(t *testing.T) {
	ms := time.Millisecond
	t0 := time.Unix(1700000000, 0)
	a := pair{ip: netip.MustParseAddr("198.51.100.200"), ifname: "eth0"}
	b := pair{ip: netip.MustParseAddr("2001:db8:100::200"), ifname: "eth0"}
	c := pair{ip: netip.MustParseAddr("198.51.100.200"), ifname: "br0"}

	type step struct {
		at       time.Duration // since t0
		add      []pair
		cancel   []pair
		wantDue  []pair
		wantNext time.Duration // since t0; -1 for nothing pending
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name: "one burst, on time",
			steps: []step{
				{at: 0, add: []pair{a}, wantDue: []pair{a}, wantNext: 500 * ms},
				{at: 499 * ms, wantNext: 500 * ms},
				{at: 500 * ms, wantDue: []pair{a}, wantNext: 1100 * ms},
				{at: 1100 * ms, wantDue: []pair{a}, wantNext: 2200 * ms},
				{at: 2200 * ms, wantDue: []pair{a}, wantNext: -1},
				{at: 9000 * ms, wantNext: -1},
			},
		},
		{
			name: "late caller sends one packet, not the missed ones",
			steps: []step{
				{at: 0, add: []pair{a}, wantDue: []pair{a}, wantNext: 500 * ms},
				{at: 1500 * ms, wantDue: []pair{a}, wantNext: 2200 * ms},
				{at: 5000 * ms, wantDue: []pair{a}, wantNext: -1},
			},
		},
		{
			name: "bursts interleave and come out sorted",
			steps: []step{
				{at: 0, add: []pair{b, a}, wantDue: []pair{a, b}, wantNext: 500 * ms},
				{at: 300 * ms, add: []pair{c}, wantDue: []pair{c}, wantNext: 500 * ms},
				{at: 500 * ms, wantDue: []pair{a, b}, wantNext: 800 * ms},
				{at: 800 * ms, wantDue: []pair{c}, wantNext: 1100 * ms},
			},
		},
		{
			name: "cancel drops the rest of a burst",
			steps: []step{
				{at: 0, add: []pair{a, b}, wantDue: []pair{a, b}, wantNext: 500 * ms},
				{at: 100 * ms, cancel: []pair{a}, wantNext: 500 * ms},
				{at: 500 * ms, wantDue: []pair{b}, wantNext: 1100 * ms},
				{at: 600 * ms, cancel: []pair{b}, wantNext: -1},
			},
		},
		{
			name: "add again restarts the burst",
			steps: []step{
				{at: 0, add: []pair{a}, wantDue: []pair{a}, wantNext: 500 * ms},
				{at: 500 * ms, wantDue: []pair{a}, wantNext: 1100 * ms},
				{at: 700 * ms, add: []pair{a}, wantDue: []pair{a}, wantNext: 1200 * ms},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSchedule(defaultBursts())
			for i, st := range tc.steps {
				now := t0.Add(st.at)
				for _, p := range st.add {
					s.add(p, now)
				}
				for _, p := range st.cancel {
					s.cancel(p)
				}
				got := s.due(now)
				if diff := cmp.Diff(st.wantDue, got, cmp.AllowUnexported(pair{}), cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
					t.Errorf("step %d: due (-want +got):\n%s", i, diff)
				}
				next, ok := s.next()
				switch {
				case st.wantNext < 0 && ok:
					t.Errorf("step %d: next = %v, want nothing pending", i, next.Sub(t0))
				case st.wantNext >= 0 && (!ok || !next.Equal(t0.Add(st.wantNext))):
					t.Errorf("step %d: next = %v (pending %v), want %v", i, next.Sub(t0), ok, st.wantNext)
				}
			}
		})
	}
}

func TestScheduleNoBursts(t *testing.T) {
	s := newSchedule(nil)
	s.add(pair{ip: netip.MustParseAddr("198.51.100.200"), ifname: "eth0"}, time.Unix(0, 0))
	if got := s.due(time.Unix(10, 0)); got != nil {
		t.Errorf("due = %v, want nothing", got)
	}
	if _, ok := s.next(); ok {
		t.Error("next reports a pending packet")
	}
}
