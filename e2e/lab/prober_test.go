//go:build linux

package lab

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// probes builds results 10 ms apart from a pattern: '+' a success, '-' a
// failure.
func probes(t0 time.Time, pattern string) []ProbeResult {
	rs := make([]ProbeResult, len(pattern))
	for i, c := range pattern {
		rs[i] = ProbeResult{At: t0.Add(time.Duration(i) * 10 * time.Millisecond), OK: c == '+'}
	}
	return rs
}

func TestProbeGap(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 10 * time.Millisecond) }
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tests := []struct {
		name    string
		pattern string
		after   time.Time
		want    time.Duration
	}{
		{name: "no results", pattern: "", after: t0, want: 0},
		{name: "all succeed", pattern: "+++++", after: t0, want: 0},
		{name: "one failure spans its neighbours", pattern: "++-++", after: t0, want: ms(20)},
		{name: "success to success", pattern: "++---++", after: t0, want: ms(40)},
		{name: "longest of two runs", pattern: "+-+---+", after: t0, want: ms(40)},
		{name: "a run before after is ignored", pattern: "+---+-+", after: at(4), want: ms(20)},
		{name: "a run that reaches past after counts whole", pattern: "+----+", after: at(3), want: ms(50)},
		{name: "a run that ends before after", pattern: "+--+++", after: at(3), want: 0},
		{name: "after the last result", pattern: "+-+", after: at(5), want: 0},
		{name: "still failing: up to the last attempt", pattern: "++---", after: t0, want: ms(30)},
		{name: "failing from the start: from the first attempt", pattern: "---++", after: t0, want: ms(30)},
		{name: "never succeeded", pattern: "----", after: t0, want: ms(30)},
		{name: "a lone failure and nothing else", pattern: "-", after: t0, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := probeGap(probes(t0, tt.pattern), tt.after); got != tt.want {
				t.Errorf("probeGap(%q, +%v) = %v, want %v", tt.pattern, tt.after.Sub(t0), got, tt.want)
			}
		})
	}
}

func TestFirstSuccessAfter(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	rs := probes(t0, "+--+-+")
	for _, tt := range []struct {
		after  time.Duration
		want   int // index into rs, -1 for none
		wantOK bool
	}{
		{after: 0, want: 0, wantOK: true},
		{after: 5 * time.Millisecond, want: 3, wantOK: true},
		{after: 30 * time.Millisecond, want: 3, wantOK: true}, // at or after
		{after: 40 * time.Millisecond, want: 5, wantOK: true},
		{after: 60 * time.Millisecond, want: -1},
	} {
		got, ok := firstSuccessAfter(rs, t0.Add(tt.after))
		var want ProbeResult
		if tt.want >= 0 {
			want = rs[tt.want]
		}
		if ok != tt.wantOK || !got.At.Equal(want.At) {
			t.Errorf("firstSuccessAfter(+%v) = %v, %v; want %v, %v", tt.after, got.At.Sub(t0), ok, want.At.Sub(t0), tt.wantOK)
		}
	}
}

func TestParseARPing(t *testing.T) {
	const two = `ARPING 198.51.100.11
42 bytes from 1e:39:db:90:5b:fd (198.51.100.11): index=0 time=42.450 usec
42 bytes from ae:fe:81:46:de:e8 (198.51.100.11): index=1 time=103.507 usec
42 bytes from 1e:39:db:90:5b:fd (198.51.100.11): index=2 time=8.236 usec
60 bytes from 02:00:00:00:00:99 (198.51.100.99): index=3 time=8.236 usec

--- 198.51.100.11 statistics ---
2 packets transmitted, 4 packets received,   0% unanswered (2 extra)
`
	const none = `ARPING 198.51.100.99
Timeout
Timeout

--- 198.51.100.99 statistics ---
2 packets transmitted, 0 packets received, 100% unanswered (0 extra)
`
	ip := netip.MustParseAddr("198.51.100.11")
	if diff := cmp.Diff(macs("1e:39:db:90:5b:fd", "ae:fe:81:46:de:e8"), parseARPing([]byte(two), ip)); diff != "" {
		t.Errorf("two responders (-want +got):\n%s", diff)
	}
	if got := parseARPing([]byte(none), netip.MustParseAddr("198.51.100.99")); got == nil || len(got) != 0 {
		t.Errorf("no responder: %v, want an empty slice", got)
	}
}

func TestParseNdisc6(t *testing.T) {
	const two = `Soliciting 2001:db8:100::11 (2001:db8:100::11) on eth0...
Target link-layer address: 1E:39:DB:90:5B:FD
 from 2001:db8:100::11
Target link-layer address: AE:FE:81:46:DE:E8
 from fe80::acfe:81ff:fe46:dee8
Target link-layer address: 1E:39:DB:90:5B:FD
 from 2001:db8:100::11
`
	const none = `Soliciting 2001:db8:100::99 (2001:db8:100::99) on eth0...
Timed out.
Timed out.
No response.
`
	if diff := cmp.Diff(macs("1e:39:db:90:5b:fd", "ae:fe:81:46:de:e8"), parseNdisc6([]byte(two))); diff != "" {
		t.Errorf("two responders (-want +got):\n%s", diff)
	}
	if got := parseNdisc6([]byte(none)); got == nil || len(got) != 0 {
		t.Errorf("no responder: %v, want an empty slice", got)
	}
}

func macs(ss ...string) []net.HardwareAddr {
	out := []net.HardwareAddr{}
	for _, s := range ss {
		m, err := net.ParseMAC(s)
		if err != nil {
			panic(err)
		}
		out = append(out, m)
	}
	return out
}
