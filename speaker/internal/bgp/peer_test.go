package bgp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// TestPeerChangeResetsOnlyThatPeer changes one peer's hold time: its
// session restarts with the new value and the other session is untouched.
func TestPeerChangeResetsOnlyThatPeer(t *testing.T) {
	needNetns(t)
	addrA, speakerAddr := loopbackSubnet(t)
	addrB := addrA.Next().Next()
	a, b := newRouter(t, addrA, 65001), newRouter(t, addrB, 65002)
	a.accept(t, peering{addr: speakerAddr, asn: 64512})
	b.accept(t, peering{addr: speakerAddr, asn: 64512})
	s := startSpeaker(t, Options{})
	peerA := Peer{Name: "a", Address: addrA, ASN: 65001, LocalASN: 64512, SourceAddress: speakerAddr, HoldTime: 90 * time.Second, ConnectTime: time.Second}
	peerB := Peer{Name: "b", Address: addrB, ASN: 65002, LocalASN: 64512, SourceAddress: speakerAddr, HoldTime: 90 * time.Second, ConnectTime: time.Second}
	paths := map[string][]Path{"a": {{Prefix: host4, NextHop: nh4}}, "b": {{Prefix: host4, NextHop: nh4}}}
	apply(t, s, Desired{RouterID: testRouterID, Peers: []Peer{peerA, peerB}, Paths: paths})
	before := a.waitEstablished(t, speakerAddr)
	if got := b.waitEstablished(t, speakerAddr).HoldTime; got != 90 {
		t.Fatalf("hold time at b = %d, want 90", got)
	}
	sinceA := session(t, s, "a").Since

	peerB.HoldTime = 30 * time.Second
	apply(t, s, Desired{RouterID: testRouterID, Peers: []Peer{peerA, peerB}, Paths: paths})
	waitFor(t, "b's new session", func() string {
		got := b.session(t, speakerAddr)
		return cmp.Diff(routerSession{State: StateEstablished, HoldTime: 30}, routerSession{State: got.State, HoldTime: got.HoldTime})
	})
	b.waitRoutes(t, speakerAddr, []route{{Prefix: host4, NextHop: nh4, ASPath: []uint32{64512}}})
	after := a.session(t, speakerAddr)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("changing b touched a's session (-before +after):\n%s", diff)
	}
	if got := session(t, s, "a").Since; !got.Equal(sinceA) {
		t.Errorf("a's session changed state at %v", got)
	}
}

// TestMD5 checks TCP-MD5: the right password opens a session, a wrong one
// never gets a TCP connection through.
func TestMD5(t *testing.T) {
	needNetns(t)
	needTCPMD5(t)
	addrA, speakerAddr := loopbackSubnet(t)
	addrB := addrA.Next().Next()
	a, b := newRouter(t, addrA, 65001), newRouter(t, addrB, 65002)
	a.accept(t, peering{addr: speakerAddr, asn: 64512, password: "right"})
	b.accept(t, peering{addr: speakerAddr, asn: 64512, password: "right"})
	s := startSpeaker(t, Options{})
	apply(t, s, Desired{
		RouterID: testRouterID,
		Peers: []Peer{
			{Name: "a", Address: addrA, ASN: 65001, LocalASN: 64512, SourceAddress: speakerAddr, Password: "right", ConnectTime: time.Second},
			{Name: "b", Address: addrB, ASN: 65002, LocalASN: 64512, SourceAddress: speakerAddr, Password: "wrong", ConnectTime: time.Second},
		},
		Paths: map[string][]Path{"a": {{Prefix: host4, NextHop: nh4}}, "b": {{Prefix: host4, NextHop: nh4}}},
	})
	a.waitRoutes(t, speakerAddr, []route{{Prefix: host4, NextHop: nh4, ASPath: []uint32{64512}}})
	// The router's kernel drops segments with a wrong digest, so the
	// speaker's dial times out; wait for that to be reported.
	waitFor(t, "b's dial error", func() string {
		if e := session(t, s, "b").LastError; !strings.HasPrefix(e, "connect:") {
			return "LastError: " + e
		}
		return ""
	})
	got := session(t, s, "b")
	if got.Attempts != 0 || got.State == StateEstablished {
		t.Errorf("with a wrong password: %d sessions opened, state %s; want none", got.Attempts, got.State)
	}
	if st := b.session(t, speakerAddr).State; st == StateEstablished {
		t.Errorf("router b has an established session with a wrong password")
	}
}

// TestRouterIDChange restarts BGP with the new identifier and announces
// everything again.
func TestRouterIDChange(t *testing.T) {
	needNetns(t)
	routerAddr, speakerAddr := loopbackSubnet(t)
	r := newRouter(t, routerAddr, 65000)
	r.accept(t, peering{addr: speakerAddr, asn: 64512})
	s := startSpeaker(t, Options{})
	d := Desired{
		RouterID: testRouterID,
		Peers:    []Peer{{Name: "r", Address: routerAddr, ASN: 65000, LocalASN: 64512, SourceAddress: speakerAddr, ConnectTime: time.Second}},
		Paths:    map[string][]Path{"r": {{Prefix: host4, NextHop: nh4}}},
	}
	apply(t, s, d)
	r.waitRoutes(t, speakerAddr, []route{{Prefix: host4, NextHop: nh4, ASPath: []uint32{64512}}})

	d.RouterID = netip.MustParseAddr("198.18.255.9")
	apply(t, s, d)
	waitFor(t, "session with the new router ID", func() string {
		got := r.session(t, speakerAddr)
		return cmp.Diff([2]string{StateEstablished, "198.18.255.9"}, [2]string{got.State, got.RouterID})
	})
	r.waitRoutes(t, speakerAddr, []route{{Prefix: host4, NextHop: nh4, ASPath: []uint32{64512}}})
}

// TestLifecycle checks that an Apply made before Run waits for it, that
// the end of Run withdraws our routes at once (a Cease, not the hold timer),
// and that Apply then reports ErrStopped.
func TestLifecycle(t *testing.T) {
	needNetns(t)
	routerAddr, speakerAddr := loopbackSubnet(t)
	r := newRouter(t, routerAddr, 65000)
	r.accept(t, peering{addr: speakerAddr, asn: 64512})
	d := Desired{
		RouterID: testRouterID,
		Peers:    []Peer{{Name: "r", Address: routerAddr, ASN: 65000, LocalASN: 64512, SourceAddress: speakerAddr}},
		Paths:    map[string][]Path{"r": {{Prefix: host4, NextHop: nh4}}},
	}
	s := New(testLogger(t), Options{})
	applied := make(chan error, 1)
	go func() { applied <- s.Apply(t.Context(), d) }()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	if err := <-applied; err != nil {
		t.Fatalf("Apply before Run: %v", err)
	}
	r.waitRoutes(t, speakerAddr, []route{{Prefix: host4, NextHop: nh4, ASPath: []uint32{64512}}})

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	// waitFor gives up long before the 90 s hold time.
	r.waitRoutes(t, speakerAddr, nil)
	if err := s.Apply(t.Context(), d); !errors.Is(err, ErrStopped) {
		t.Errorf("Apply after Run = %v, want ErrStopped", err)
	}
}

// needTCPMD5 skips the test when the kernel refuses TCP_MD5SIG, as some
// builds and sandboxes do.
func needTCPMD5(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rc, err := l.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var sockErr error
	err = rc.Control(func(fd uintptr) {
		sig := unix.TCPMD5Sig{Keylen: 1}
		sig.Addr.Family = unix.AF_INET
		sockErr = unix.SetsockoptTCPMD5Sig(int(fd), unix.IPPROTO_TCP, unix.TCP_MD5SIG, &sig)
	})
	if err != nil {
		t.Fatal(err)
	}
	if errors.Is(sockErr, unix.ENOPROTOOPT) {
		t.Skip("the kernel refuses TCP-MD5 signatures (TCP_MD5SIG: ENOPROTOOPT)")
	}
}
