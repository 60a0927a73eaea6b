package members

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
)

func TestValidate(t *testing.T) {
	good := Options{NodeName: "node-1", BindAddr: netip.MustParseAddr("198.18.255.10")}
	tests := []struct {
		name   string
		change func(*Options)
		want   []string // substrings of the error, one per problem; none = valid
	}{
		{name: "defaults", change: func(*Options) {}},
		{name: "IPv6 and every knob set", change: func(o *Options) {
			o.BindAddr = netip.MustParseAddr("2001:db8::10")
			o.Port = 7000
			o.Key = make([]byte, 32)
			o.ProbeInterval, o.ProbeTimeout = time.Second, 500*time.Millisecond
			o.SuspicionMult, o.SuspicionMaxTimeoutMult = 4, 6
			o.GossipInterval, o.PushPullInterval = 200*time.Millisecond, 30*time.Second
			o.StallAfter, o.AloneAfter = 4*time.Second, time.Minute
			o.Meta = make([]byte, 512)
		}},
		{name: "IPv4-mapped address is unmapped", change: func(o *Options) {
			o.BindAddr = netip.MustParseAddr("::ffff:198.18.255.10")
		}},
		{name: "24-byte key", change: func(o *Options) { o.Key = make([]byte, 24) }},
		{name: "no name", change: func(o *Options) { o.NodeName = "" }, want: []string{"node name is empty"}},
		{name: "no address", change: func(o *Options) { o.BindAddr = netip.Addr{} }, want: []string{"bind address is not set"}},
		{name: "unspecified address", change: func(o *Options) { o.BindAddr = netip.IPv6Unspecified() }, want: []string{"not a unicast"}},
		{name: "multicast address", change: func(o *Options) { o.BindAddr = netip.MustParseAddr("224.0.0.1") }, want: []string{"not a unicast"}},
		{name: "zone", change: func(o *Options) { o.BindAddr = netip.MustParseAddr("fe80::1%eth0") }, want: []string{"has a zone"}},
		{name: "port too big", change: func(o *Options) { o.Port = 70000 }, want: []string{"port 70000"}},
		{name: "negative port", change: func(o *Options) { o.Port = -1 }, want: []string{"port -1"}},
		{name: "short key", change: func(o *Options) { o.Key = make([]byte, 10) }, want: []string{"key of 10 bytes"}},
		{name: "empty but set key", change: func(o *Options) { o.Key = []byte{} }, want: []string{"key of 0 bytes"}},
		{name: "meta too big", change: func(o *Options) { o.Meta = make([]byte, 513) }, want: []string{"513 bytes exceeds 512"}},
		{name: "probe timeout not below interval", change: func(o *Options) {
			o.ProbeTimeout = DefaultProbeInterval
		}, want: []string{"probe timeout 100ms is not shorter"}},
		{name: "negative durations", change: func(o *Options) {
			o.GossipInterval, o.PushPullInterval, o.AloneAfter = -1, -1, -1
		}, want: []string{"gossip interval -1ns", "push/pull interval -1ns", "alone delay -1ns"}},
		{name: "bad multipliers", change: func(o *Options) {
			o.SuspicionMult, o.SuspicionMaxTimeoutMult = -1, -2
		}, want: []string{"suspicion multiplier -1", "max timeout multiplier -2"}},
		{name: "stall threshold too long to notice a death", change: func(o *Options) {
			o.StallAfter = 400 * time.Millisecond
		}, want: []string{"stall threshold 400ms is not shorter than 400ms"}},
		{name: "every problem at once", change: func(o *Options) {
			o.NodeName, o.BindAddr, o.Key, o.Meta = "", netip.Addr{}, []byte{1}, make([]byte, 600)
		}, want: []string{"node name", "bind address", "key of 1 bytes", "600 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good
			tt.change(&o)
			err := o.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors containing %q", tt.want)
			}
			if got := strings.Count(err.Error(), "\n") + 1; got != len(tt.want) {
				t.Errorf("Validate() found %d problems, want %d: %v", got, len(tt.want), err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, want it to contain %q", err, w)
				}
			}
			if _, err := New(logr.Discard(), o); err == nil {
				t.Error("New accepted options that Validate rejects")
			}
		})
	}
}

func TestSuspicionFloor(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want time.Duration
	}{
		{0, 300 * time.Millisecond},
		{3, 300 * time.Millisecond},
		{10, 300 * time.Millisecond},
		{100, 600 * time.Millisecond},
		{1000, 900 * time.Millisecond},
	} {
		if got := suspicionFloor(3, tt.n, 100*time.Millisecond); got != tt.want {
			t.Errorf("suspicionFloor(3, %d, 100ms) = %v, want %v", tt.n, got, tt.want)
		}
	}
}
