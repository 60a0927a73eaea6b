package members

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/hashicorp/memberlist"
	"k8s.io/utils/clock"
)

// Defaults, chosen for failure detection well under a second on a LAN; see
// the package documentation for the arithmetic.
const (
	DefaultPort                    = 7946
	DefaultProbeInterval           = 100 * time.Millisecond
	DefaultProbeTimeout            = 50 * time.Millisecond
	DefaultSuspicionMult           = 3
	DefaultSuspicionMaxTimeoutMult = 2
	// DefaultGossipInterval bounds how long a leave waits before it goes
	// out; the clean-stop budget is 50 ms. memberlist sends nothing on a
	// gossip tick with nothing queued, so a short interval costs little.
	DefaultGossipInterval = 20 * time.Millisecond
	// DefaultPushPullInterval is the full state exchange that repairs
	// missed gossip; lost members are rejoined by Run, not by it.
	DefaultPushPullInterval = 10 * time.Second
	// DefaultStallAfter leaves 150 ms between the longest gap this node
	// tolerates and the quickest death declaration (400 ms), and is well
	// above the CPU throttling of a pod at its limit (one 100 ms period).
	DefaultStallAfter = 250 * time.Millisecond
	// DefaultAloneAfter is how long a speaker whose peers are all
	// unreachable waits before it answers on its own.
	DefaultAloneAfter = 2 * time.Second
)

// Options configure a Members. Zero values take the defaults above.
type Options struct {
	// NodeName is the member name, the Kubernetes node name.
	NodeName string
	// BindAddr is the node's InternalIP; memberlist binds and advertises
	// on it only.
	BindAddr netip.Addr
	// Port is the UDP and TCP port (default 7946).
	Port int
	// Key encrypts and authenticates gossip (AES-GCM); 16, 24 or 32 bytes.
	// Nil leaves gossip in clear text and lets anybody join: tests only.
	Key []byte

	ProbeInterval           time.Duration
	ProbeTimeout            time.Duration
	SuspicionMult           int
	SuspicionMaxTimeoutMult int
	GossipInterval          time.Duration
	PushPullInterval        time.Duration

	// StallAfter is the longest gap between two heartbeats of this process
	// that is not taken for a freeze. It must be shorter than
	// ProbeInterval × (1 + SuspicionMult), the quickest that others can
	// declare this node dead.
	StallAfter time.Duration
	// AloneAfter is how long after losing trust a speaker with known but
	// unreachable peers, and no other live member, trusts itself alone.
	AloneAfter time.Duration

	// Meta is the initial node metadata, at most memberlist.MetaMaxSize
	// (512) bytes.
	Meta []byte
	// Clock drives the stall detector and all waits of Run.
	Clock clock.Clock
}

func (o Options) withDefaults() Options {
	o.BindAddr = o.BindAddr.Unmap()
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	if o.ProbeInterval == 0 {
		o.ProbeInterval = DefaultProbeInterval
	}
	if o.ProbeTimeout == 0 {
		o.ProbeTimeout = DefaultProbeTimeout
	}
	if o.SuspicionMult == 0 {
		o.SuspicionMult = DefaultSuspicionMult
	}
	if o.SuspicionMaxTimeoutMult == 0 {
		o.SuspicionMaxTimeoutMult = DefaultSuspicionMaxTimeoutMult
	}
	if o.GossipInterval == 0 {
		o.GossipInterval = DefaultGossipInterval
	}
	if o.PushPullInterval == 0 {
		o.PushPullInterval = DefaultPushPullInterval
	}
	if o.StallAfter == 0 {
		o.StallAfter = DefaultStallAfter
	}
	if o.AloneAfter == 0 {
		o.AloneAfter = DefaultAloneAfter
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return o
}

// Validate returns every problem with o (after defaults) at once.
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if o.NodeName == "" {
		add("node name is empty")
	}
	switch {
	case !o.BindAddr.IsValid():
		add("bind address is not set")
	case o.BindAddr.IsUnspecified() || o.BindAddr.IsMulticast():
		add("bind address %v is not a unicast address of this node", o.BindAddr)
	case o.BindAddr.Zone() != "":
		add("bind address %v has a zone", o.BindAddr)
	}
	if o.Port < 1 || o.Port > 65535 {
		add("port %d is out of range 1-65535", o.Port)
	}
	if o.Key != nil {
		if err := memberlist.ValidateKey(o.Key); err != nil {
			add("gossip key of %d bytes: %w", len(o.Key), err)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"probe interval", o.ProbeInterval},
		{"probe timeout", o.ProbeTimeout},
		{"gossip interval", o.GossipInterval},
		{"push/pull interval", o.PushPullInterval},
		{"stall threshold", o.StallAfter},
		{"alone delay", o.AloneAfter},
	} {
		if d.v < 0 {
			add("%s %v is negative", d.name, d.v)
		}
	}
	if o.ProbeTimeout >= o.ProbeInterval {
		add("probe timeout %v is not shorter than the probe interval %v", o.ProbeTimeout, o.ProbeInterval)
	}
	if o.SuspicionMult < 1 {
		add("suspicion multiplier %d is less than 1", o.SuspicionMult)
	}
	if o.SuspicionMaxTimeoutMult < 1 {
		add("suspicion max timeout multiplier %d is less than 1", o.SuspicionMaxTimeoutMult)
	}
	if limit := quickestDeath(o); o.SuspicionMult >= 1 && o.StallAfter >= limit {
		// A freeze shorter than StallAfter but long enough for others
		// to declare this node dead would go unnoticed here.
		add("stall threshold %v is not shorter than %v, the quickest that others can declare this node dead", o.StallAfter, limit)
	}
	if len(o.Meta) > memberlist.MetaMaxSize {
		add("node metadata of %d bytes exceeds %d", len(o.Meta), memberlist.MetaMaxSize)
	}
	return errors.Join(errs...)
}

// quickestDeath is the shortest time after which others can declare a node
// dead that stopped answering: a full probe round, then the suspicion floor
// of the smallest cluster.
func quickestDeath(o Options) time.Duration {
	return o.ProbeInterval + suspicionFloor(o.SuspicionMult, 1, o.ProbeInterval)
}

// suspicionFloor is memberlist's shortest suspicion timeout for a cluster of
// n members: mult × max(1, log10(n)) × interval.
func suspicionFloor(mult, n int, interval time.Duration) time.Duration {
	scale := math.Max(1, math.Log10(float64(max(n, 1))))
	return time.Duration(float64(mult) * scale * float64(interval))
}
