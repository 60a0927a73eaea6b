package members

import (
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

const quiet, alone = 300 * time.Millisecond, 2 * time.Second

// step is one thing that happens to a trust, at a time in ms after t0.
type step struct {
	at     int
	do     string // start, peers, alarm, join (a join that began at begun), leave, stop
	begun  int    // for join: when the join began
	others bool   // for check: another member is alive
	peers  bool   // for check: SetPeers named another speaker
	want   bool   // for check
}

func TestTrust(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{{
		name: "not before SetPeers, then alone after the quiet period",
		steps: []step{
			{at: 0, do: "start"},
			{at: 5000, do: "check", want: false},
			{at: 5000, do: "peers"},
			{at: 5000, do: "check", want: true},
		},
	}, {
		name: "a single-node cluster waits the quiet period",
		steps: []step{
			{at: 0, do: "start"}, {at: 0, do: "peers"},
			{at: 299, do: "check", want: false},
			{at: 300, do: "check", want: true},
		},
	}, {
		name: "known peers need a join and the quiet period after it",
		steps: []step{
			{at: 0, do: "start"}, {at: 0, do: "peers"},
			{at: 1000, do: "check", others: true, peers: true, want: false},
			{at: 1000, do: "join", begun: 900},
			{at: 1299, do: "check", others: true, peers: true, want: false},
			{at: 1300, do: "check", others: true, peers: true, want: true},
		},
	}, {
		name: "an alarm during a join voids it",
		steps: []step{
			{at: 0, do: "start"}, {at: 0, do: "peers"},
			{at: 100, do: "join", begun: 50},
			{at: 400, do: "check", others: true, peers: true, want: true},
			{at: 500, do: "alarm"},
			{at: 500, do: "check", others: true, peers: true, want: false},
			{at: 520, do: "join", begun: 490}, // began before the alarm
			{at: 900, do: "check", others: true, peers: true, want: false},
			{at: 950, do: "join", begun: 930},
			{at: 1249, do: "check", others: true, peers: true, want: false},
			{at: 1250, do: "check", others: true, peers: true, want: true},
		},
	}, {
		name: "unreachable peers: alone after AloneAfter",
		steps: []step{
			{at: 0, do: "start"}, {at: 0, do: "peers"},
			{at: 1999, do: "check", peers: true, want: false},
			{at: 2000, do: "check", peers: true, want: true},
		},
	}, {
		name: "the last survivor keeps trust when its peers die",
		steps: []step{
			{at: 0, do: "start"}, {at: 0, do: "peers"},
			{at: 100, do: "join", begun: 50},
			{at: 500, do: "alarm"},
			{at: 600, do: "join", begun: 550},
			{at: 1000, do: "check", others: true, peers: true, want: true},
			{at: 1000, do: "check", others: false, peers: true, want: true},
		},
	}, {
		name: "leave and stop are final",
		steps: []step{
			{at: 0, do: "start"}, {at: 0, do: "peers"},
			{at: 400, do: "check", want: true},
			{at: 500, do: "leave"},
			{at: 9000, do: "check", want: false},
			{at: 9000, do: "join", begun: 8000},
			{at: 9999, do: "check", others: true, peers: true, want: false},
		},
	}, {
		name: "stopped",
		steps: []step{
			{at: 0, do: "start"}, {at: 0, do: "peers"},
			{at: 400, do: "check", want: true},
			{at: 500, do: "stop"},
			{at: 900, do: "check", want: false},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := trust{stallAfter: 250 * time.Millisecond}
			for i, s := range tt.steps {
				now := ms(s.at)
				switch s.do {
				case "start":
					tr.start(now)
				case "peers":
					tr.peersSet = true
				case "alarm":
					tr.alarm(now, "test")
				case "join":
					// The epoch the join began in: count the alarms
					// up to then.
					tr.joined(epochAt(tt.steps[:i], s.begun), now)
				case "leave":
					tr.left = true
				case "stop":
					tr.running = false
				case "check":
					f := facts{others: s.others, peers: s.peers, quiet: quiet, alone: alone}
					if got := tr.ok(now, f); got != s.want {
						t.Fatalf("step %d (at %d ms): ok = %v, want %v (reason %q)", i, s.at, got, s.want, tr.why())
					}
				}
			}
		})
	}
}

// epochAt is the epoch a trust driven by steps was in at ms begun.
func epochAt(steps []step, begun int) uint64 {
	var e uint64
	for _, s := range steps {
		if s.at <= begun && (s.do == "start" || s.do == "alarm") {
			e++
		}
	}
	return e
}

func TestStallBeat(t *testing.T) {
	tr := trust{stallAfter: 250 * time.Millisecond}
	if _, stalled := tr.beat(ms(1000)); stalled {
		t.Fatal("a beat before start counted as a stall")
	}
	tr.start(ms(0))
	tr.peersSet = true
	f := facts{quiet: quiet, alone: alone}
	for at := 50; at <= 400; at += 50 {
		if _, stalled := tr.beat(ms(at)); stalled {
			t.Fatalf("a 50 ms beat at %d ms counted as a stall", at)
		}
	}
	if !tr.ok(ms(400), f) {
		t.Fatal("not trusted after regular beats")
	}
	if _, stalled := tr.beat(ms(350)); stalled {
		t.Fatal("a beat from the past counted as a stall")
	}
	if _, stalled := tr.beat(ms(650)); stalled {
		t.Fatal("a gap of exactly the threshold counted as a stall")
	}
	gap, stalled := tr.beat(ms(901))
	if !stalled || gap != 251*time.Millisecond {
		t.Fatalf("beat after 251 ms = %v, %v; want a stall of 251ms", gap, stalled)
	}
	if tr.ok(ms(901), f) || tr.why() != reasonStall {
		t.Fatalf("trusted (%q) right after a stall", tr.why())
	}
	if !tr.needJoin() {
		t.Error("a stall does not ask for a join")
	}
	if !tr.ok(ms(1201), f) {
		t.Error("a lone node is not trusted a quiet period after a stall")
	}
}
