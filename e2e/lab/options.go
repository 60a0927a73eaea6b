//go:build linux

package lab

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"time"

	"github.com/go-logr/logr"
)

// Options configure a lab. Prefix and Dir are required.
type Options struct {
	// Prefix starts the name of every namespace and temporary directory the
	// lab creates, e.g. "ilb-" for `make lab` or "ilbt<pid>-" for a test
	// binary. Lower-case letters, digits and dashes, ending in a dash, at
	// most 10 characters.
	Prefix string
	// Dir receives the logs and the rendered router configurations. It is
	// created if missing; the caller removes it.
	Dir string
	// Nodes is the number of nodes, 1..MaxNodes; 0 means 3.
	Nodes int
	// APIServer is the host loopback address of the kube-apiserver. When
	// set, every node namespace gets a forwarder listening at the same
	// address. Only loopback addresses are accepted.
	APIServer netip.AddrPort
	// Log receives progress lines; the zero Logger discards them.
	Log logr.Logger
	// BGP configures both routers' sessions with the nodes.
	BGP BGPOptions
}

// BGPOptions are the routers' side of the node sessions.
type BGPOptions struct {
	// KeepaliveTime and HoldTime override the daemons' defaults (FRR
	// 60 s/180 s, BIRD 80 s/240 s) when both are set. Whole seconds.
	KeepaliveTime, HoldTime time.Duration
	// Password turns on TCP-MD5 (RFC 2385) on both routers.
	Password string
	// NoGracefulRestart leaves FRR's `bgp graceful-restart` out; FRR is
	// then a graceful-restart helper only, its default.
	NoGracefulRestart bool
}

var prefixRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,14}-$`)

// Validate reports every problem with o.
func (o Options) Validate() error {
	var errs []error
	// Interface names never contain the prefix, but namespace names do and
	// people type them; short keeps `ip netns` listings readable.
	if !prefixRE.MatchString(o.Prefix) {
		errs = append(errs, fmt.Errorf("prefix %q: want lower-case letters, digits and dashes, ending in a dash, at most 16 characters", o.Prefix))
	}
	if o.Dir == "" {
		errs = append(errs, errors.New("dir is required"))
	}
	if o.Nodes < 0 || o.Nodes > MaxNodes {
		errs = append(errs, fmt.Errorf("nodes %d: want 1..%d (0 means 3)", o.Nodes, MaxNodes))
	}
	if o.APIServer.IsValid() && (!o.APIServer.Addr().IsLoopback() || o.APIServer.Port() == 0) {
		errs = append(errs, fmt.Errorf("apiserver %s: want a loopback address with a port", o.APIServer))
	}
	errs = append(errs, o.BGP.validate()...)
	return errors.Join(errs...)
}

func (b BGPOptions) validate() []error {
	var errs []error
	if (b.KeepaliveTime == 0) != (b.HoldTime == 0) {
		errs = append(errs, errors.New("bgp: set both keepalive and hold time, or neither"))
	}
	if b.HoldTime != 0 {
		if b.KeepaliveTime%time.Second != 0 || b.HoldTime%time.Second != 0 {
			errs = append(errs, errors.New("bgp: keepalive and hold time must be whole seconds"))
		}
		// RFC 4271 §4.2: a hold time is 0 or at least 3 seconds.
		if b.HoldTime < 3*time.Second || b.KeepaliveTime < time.Second || b.KeepaliveTime > b.HoldTime {
			errs = append(errs, fmt.Errorf("bgp: hold time %v must be ≥ 3s and ≥ keepalive %v ≥ 1s", b.HoldTime, b.KeepaliveTime))
		}
	}
	for _, r := range b.Password {
		if r == '"' || r == '\\' || r <= ' ' || r > '~' {
			errs = append(errs, errors.New("bgp: password must be printable ASCII without spaces, quotes or backslashes"))
			break
		}
	}
	return errs
}

func (o Options) nodes() int {
	if o.Nodes == 0 {
		return 3
	}
	return o.Nodes
}
