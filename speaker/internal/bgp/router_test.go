package bgp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	gocmp "github.com/google/go-cmp/cmp"
	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/apiutil"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
	"github.com/osrg/gobgp/v3/pkg/server"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// This file holds the test double for a router: a second GoBGP server, in a
// process of its own, that listens on a loopback address of the test's
// namespace and records what it receives.

// routerEnv tells a re-executed test binary to be a router, serving GoBGP's
// gRPC API on the unix socket it names.
const routerEnv = "IRONLB_BGP_TEST_ROUTER"

// runRouter is the router process: a GoBGP server, driven over gRPC by the
// test, until the test closes our stdin.
//
// Routers run in their own process because GoBGP's StartBgp writes
// package-level variables (table.SelectionOptions, table.UseMultiplePaths)
// that every server's goroutines read: two servers in one process race.
func runRouter(sock string) int {
	log := funcr.New(func(prefix, args string) { fmt.Fprintln(os.Stderr, prefix, args) }, funcr.Options{Verbosity: 1})
	srv := server.NewBgpServer(server.GrpcListenAddress("unix://"+sock), server.LoggerOption(gobgpLogger{log: log}))
	go srv.Serve()
	_, _ = io.Copy(io.Discard, os.Stdin)
	srv.Stop()
	return 0
}

type router struct {
	api  api.GobgpApiClient
	addr netip.Addr
}

// newRouter starts a router process in the test's namespace, listening on
// addr:179. Its router ID is addr for IPv4, else a documentation address.
func newRouter(t *testing.T, addr netip.Addr, asn uint32) *router {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "router.sock")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), routerEnv+"="+sock)
	cmd.Stderr = logWriter{testLogger(t).WithName("router " + addr.String())}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start router %v: %v", addr, err)
	}
	// gRPC waits a second before it retries a failed connect: wait for the
	// socket instead.
	waitFor(t, "the router's API socket", func() string {
		if _, err := os.Stat(sock); err != nil {
			return err.Error()
		}
		return ""
	})
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	r := &router{api: api.NewGobgpApiClient(conn), addr: addr}
	t.Cleanup(func() {
		if _, err := r.api.StopBgp(context.Background(), &api.StopBgpRequest{}); err != nil {
			t.Errorf("stop router %v: %v", addr, err)
		}
		_ = conn.Close()
		_ = stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("router %v: %v", addr, err)
		}
	})
	id := addr.String()
	if !addr.Is4() {
		id = "198.18.255.254"
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	global := &api.Global{Asn: asn, RouterId: id, ListenPort: 179, ListenAddresses: []string{addr.String()}}
	if _, err := r.api.StartBgp(ctx, &api.StartBgpRequest{Global: global}, grpc.WaitForReady(true)); err != nil {
		t.Fatalf("start BGP at router %v: %v", addr, err)
	}
	return r
}

// logWriter logs what a router process writes.
type logWriter struct{ log logr.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Info(strings.TrimSpace(string(p)))
	return len(p), nil
}

// peering is how a router is configured for the speaker.
type peering struct {
	addr     netip.Addr
	asn      uint32
	password string
	// holdTime, when set, is the hold time the router offers, in seconds.
	holdTime uint64
}

// accept configures the router to accept sessions from n, the way routers
// are set up for Kubernetes nodes (FRR's "bgp listen range"): as a dynamic
// neighbor, created when the speaker connects and deleted when the session
// ends, so that a new session is accepted at once. The router never dials.
func (r *router) accept(t *testing.T, n peering) {
	t.Helper()
	group := &api.PeerGroup{
		Conf:      &api.PeerGroupConf{PeerGroupName: n.addr.String(), PeerAsn: n.asn, AuthPassword: n.password},
		Transport: &api.Transport{PassiveMode: true},
	}
	if n.holdTime > 0 {
		group.Timers = &api.Timers{Config: &api.TimersConfig{HoldTime: n.holdTime, KeepaliveInterval: n.holdTime / 3}}
	}
	for _, f := range []*api.Family{familyIPv4(), familyIPv6()} {
		group.AfiSafis = append(group.AfiSafis, &api.AfiSafi{Config: &api.AfiSafiConfig{Family: f, Enabled: true}})
	}
	if _, err := r.api.AddPeerGroup(t.Context(), &api.AddPeerGroupRequest{PeerGroup: group}); err != nil {
		t.Fatalf("router %v: add peer group for %v: %v", r.addr, n.addr, err)
	}
	dyn := &api.DynamicNeighbor{Prefix: netip.PrefixFrom(n.addr, n.addr.BitLen()).String(), PeerGroup: n.addr.String()}
	if _, err := r.api.AddDynamicNeighbor(t.Context(), &api.AddDynamicNeighborRequest{DynamicNeighbor: dyn}); err != nil {
		t.Fatalf("router %v: add dynamic neighbor %v: %v", r.addr, n.addr, err)
	}
}

// originate makes the router announce p to its neighbors.
func (r *router) originate(t *testing.T, p Path) {
	t.Helper()
	ap, err := apiPath(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.api.AddPath(t.Context(), &api.AddPathRequest{Path: ap}); err != nil {
		t.Fatalf("router %v: add path %v: %v", r.addr, p.Prefix, err)
	}
}

// reset makes the router end its session with the neighbor at addr, with a
// Cease NOTIFICATION.
func (r *router) reset(t *testing.T, addr netip.Addr) {
	t.Helper()
	if _, err := r.api.ResetPeer(t.Context(), &api.ResetPeerRequest{Address: addr.String()}); err != nil {
		t.Fatalf("router %v: reset %v: %v", r.addr, addr, err)
	}
}

// route is a path as the router received it.
type route struct {
	Prefix           netip.Prefix
	NextHop          netip.Addr
	ASPath           []uint32
	Communities      []uint32
	LargeCommunities [][3]uint32
	LocalPref        uint32
}

// routes returns what the router holds from the neighbor at from, sorted by
// prefix.
func (r *router) routes(t *testing.T, from netip.Addr) []route {
	t.Helper()
	var out []route
	for _, f := range []*api.Family{familyIPv4(), familyIPv6()} {
		req := &api.ListPathRequest{TableType: api.TableType_ADJ_IN, Name: from.String(), Family: f}
		resps, err := receiveAll(func() (stream[*api.ListPathResponse], error) { return r.api.ListPath(t.Context(), req) })
		if err != nil && strings.Contains(err.Error(), "doesn't exist") {
			return nil // no session: the dynamic neighbor is gone, with its routes
		}
		if err != nil {
			t.Fatalf("router %v: list paths from %v: %v", r.addr, from, err)
		}
		for _, d := range resps {
			for _, p := range d.GetDestination().GetPaths() {
				out = append(out, toRoute(t, d.GetDestination().GetPrefix(), p))
			}
		}
	}
	slices.SortFunc(out, func(a, b route) int { return comparePrefix(a.Prefix, b.Prefix) })
	return out
}

func toRoute(t *testing.T, prefix string, p *api.Path) route {
	t.Helper()
	rt := route{Prefix: netip.MustParsePrefix(prefix)}
	attrs, err := apiutil.GetNativePathAttributes(p)
	if err != nil {
		t.Fatalf("decode attributes of %s: %v", prefix, err)
	}
	for _, a := range attrs {
		switch a := a.(type) {
		case *bgp.PathAttributeNextHop:
			rt.NextHop = ipToAddr(a.Value)
		case *bgp.PathAttributeMpReachNLRI:
			rt.NextHop = ipToAddr(a.Nexthop)
		case *bgp.PathAttributeAsPath:
			rt.ASPath = []uint32{}
			for _, seg := range a.Value {
				rt.ASPath = append(rt.ASPath, seg.GetAS()...)
			}
		case *bgp.PathAttributeCommunities:
			rt.Communities = a.Value
		case *bgp.PathAttributeLargeCommunities:
			for _, c := range a.Values {
				rt.LargeCommunities = append(rt.LargeCommunities, [3]uint32{c.ASN, c.LocalData1, c.LocalData2})
			}
		case *bgp.PathAttributeLocalPref:
			rt.LocalPref = a.Value
		}
	}
	return rt
}

func ipToAddr(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

// routerSession is the router's view of its session with the speaker.
type routerSession struct {
	State string
	// Uptime is when the session last came up: it changes on every reset.
	Uptime   time.Time
	HoldTime uint64
	// RouterID is the speaker's BGP identifier.
	RouterID string
	// GracefulRestart is the capability the speaker sent, if any.
	GracefulRestart *bgp.CapGracefulRestart
}

func (r *router) session(t *testing.T, with netip.Addr) routerSession {
	t.Helper()
	var s routerSession
	resps, err := receiveAll(func() (stream[*api.ListPeerResponse], error) {
		return r.api.ListPeer(t.Context(), &api.ListPeerRequest{Address: with.String()})
	})
	if err != nil {
		t.Fatalf("router %v: list neighbor %v: %v", r.addr, with, err)
	}
	for _, resp := range resps {
		p := resp.GetPeer()
		s.State = stateName(p.GetState().GetSessionState())
		s.Uptime = p.GetTimers().GetState().GetUptime().AsTime()
		s.HoldTime = p.GetTimers().GetState().GetNegotiatedHoldTime()
		s.RouterID = p.GetState().GetRouterId()
		caps, err := apiutil.UnmarshalCapabilities(p.GetState().GetRemoteCap())
		if err != nil {
			t.Errorf("router %v: decode capabilities of %v: %v", r.addr, with, err)
		}
		for _, c := range caps {
			if gr, ok := c.(*bgp.CapGracefulRestart); ok {
				s.GracefulRestart = gr
			}
		}
	}
	return s
}

type stream[T any] interface{ Recv() (T, error) }

// receiveAll reads a gRPC stream to its end.
func receiveAll[T any](open func() (stream[T], error)) ([]T, error) {
	st, err := open()
	if err != nil {
		return nil, err
	}
	var out []T
	for {
		m, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
}

// waitRoutes waits until the router holds exactly want from the neighbor
// at from.
func (r *router) waitRoutes(t *testing.T, from netip.Addr, want []route) {
	t.Helper()
	waitFor(t, "routes at router "+r.addr.String(), func() string {
		return gocmp.Diff(want, r.routes(t, from), equateNetip)
	})
}

// waitEstablished waits until the router has an Established session with
// the neighbor at with, and returns it.
func (r *router) waitEstablished(t *testing.T, with netip.Addr) routerSession {
	t.Helper()
	var s routerSession
	waitFor(t, "session at router "+r.addr.String(), func() string {
		s = r.session(t, with)
		return gocmp.Diff(StateEstablished, s.State)
	})
	return s
}
