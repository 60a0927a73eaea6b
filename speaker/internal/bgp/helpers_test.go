package bgp

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// This file holds the helpers of the session tests that are not about the
// router.

// testRouterID is the speaker's router ID in tests.
var testRouterID = netip.MustParseAddr("198.18.255.1")

// subnets hands each test its own 127.0.N.0/24, so that no test meets the
// sockets or sessions another one left behind.
var subnets atomic.Uint32

// loopbackSubnet returns two addresses of a fresh 127.0.N.0/24: one for
// routers to listen on (the .1, .3, ... are free too) and the speaker's.
func loopbackSubnet(t *testing.T) (router, speaker netip.Addr) {
	t.Helper()
	n := subnets.Add(1)
	if n > 250 {
		t.Fatal("out of test subnets")
	}
	return netip.AddrFrom4([4]byte{127, 0, byte(n), 1}), netip.AddrFrom4([4]byte{127, 0, byte(n), 2})
}

// testLogger logs to t until the test's cleanup ends; GoBGP goroutines may
// outlive a test by a little, and testing panics on a late Log.
func testLogger(t *testing.T) logr.Logger {
	var mu sync.Mutex
	done := false
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		done = true
	})
	return funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			t.Log(prefix, args)
		}
	}, funcr.Options{Verbosity: 1})
}

// equateNetip lets cmp compare netip values, whose fields are unexported.
var equateNetip = cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})

// waitFor polls diff until it returns "" and fails the test with the last
// difference after a generous deadline. Polling is only the wait: the
// assertion is the difference.
func waitFor(t *testing.T, what string, diff func() string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d := diff()
		if d == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still different after 30s (-want +got):\n%s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startSpeaker runs a Speaker until the test ends.
func startSpeaker(t *testing.T, opts Options) *Speaker {
	t.Helper()
	s := New(testLogger(t).WithName("speaker"), opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return s
}

// apply applies d and fails the test on error.
func apply(t *testing.T, s *Speaker, d Desired) {
	t.Helper()
	if err := s.Apply(t.Context(), d); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// session returns the speaker's Session for peer.
func session(t *testing.T, s *Speaker, peer string) Session {
	t.Helper()
	all := s.Sessions()
	i := slices.IndexFunc(all, func(x Session) bool { return x.Peer == peer })
	if i < 0 {
		t.Fatalf("no session for peer %q", peer)
	}
	return all[i]
}
