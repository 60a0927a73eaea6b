//go:build linux

package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"text/template"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/google/go-cmp/cmp"
)

// nodeBIRD stands in for the speaker, which lives elsewhere: a BIRD in a
// node namespace that announces one IPv4 and one IPv6 address to both
// routers, the way the speaker does (eBGP to FRR, iBGP to BIRD, IPv6 over
// the IPv4 sessions).
var nodeBIRD = template.Must(template.New("node").Parse(`router id {{.Addr4}};
log stderr all;
protocol device {}
protocol static s4 { ipv4; route {{.VIP4}} blackhole; }
protocol static s6 { ipv6; route {{.VIP6}} blackhole; }
template bgp up {
  local {{.Addr4}} as {{.ASN}};
  direct;
  connect delay time 1;
  connect retry time 1;
{{- if .Hold}}
  hold time {{.Hold}};
  keepalive time {{.Keepalive}};
{{- end}}
{{- if .Password}}
  password "{{.Password}}";
{{- end}}
  ipv4 {
    import none;
    export filter {
      if source != RTS_STATIC then reject;
      bgp_community.add((65000,100));
      bgp_large_community.add((64512,1,2));
      accept;
    };
  };
  ipv6 { import none; export where source = RTS_STATIC; next hop address {{.Addr6}}; };
}
protocol bgp to_frr from up { neighbor {{.Router}} as {{.RouterASN}}; }
protocol bgp to_bird from up { neighbor {{.Router2}} internal; }
`))

var (
	vip4 = netip.MustParsePrefix("203.0.113.10/32")
	vip6 = netip.MustParsePrefix("2001:db8:200::10/128")
)

// startNodeBIRD runs the stand-in speaker in node i.
func startNodeBIRD(t *testing.T, l *Lab, i int, b BGPOptions) *Proc {
	t.Helper()
	var conf bytes.Buffer
	err := nodeBIRD.Execute(&conf, map[string]any{
		"Addr4": NodeAddr(i, 4), "Addr6": NodeAddr(i, 6), "ASN": NodeASN, "VIP4": vip4, "VIP6": vip6,
		"Router": RouterAddr(4), "RouterASN": RouterASN, "Router2": Router2Addr(4),
		"Hold": int(b.HoldTime / time.Second), "Keepalive": int(b.KeepaliveTime / time.Second), "Password": b.Password,
	})
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("bird-%s", NodeName(i))
	path := filepath.Join(l.Options().Dir, name+".conf")
	if err := os.WriteFile(path, conf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := l.Start(NodeName(i), name, "bird", "-f", "-c", path,
		"-s", filepath.Join(l.RunDir(), name+".ctl"), "-P", filepath.Join(l.RunDir(), name+".pid"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// eventually polls check until it returns nil or 30 s pass.
func eventually(t *testing.T, what string, check func(context.Context) error) {
	t.Helper()
	var last error
	start := time.Now()
	defer func() { t.Logf("%s: %v", what, time.Since(start).Round(time.Millisecond)) }()
	err := poll(t.Context(), 30*time.Second, func() (bool, error) {
		last = check(t.Context())
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("%s: %v (last: %v)", what, err, last)
	}
}

func wantRoutes(got map[netip.Prefix][]netip.Addr, err error, p netip.Prefix, want []netip.Addr) error {
	if err != nil {
		return err
	}
	if diff := cmp.Diff(want, got[p], netipCmp); diff != "" {
		return fmt.Errorf("%s (-want +got):\n%s", p, diff)
	}
	return nil
}

func TestBGPSessions(t *testing.T) {
	for _, tc := range []struct {
		name string
		bgp  BGPOptions
	}{
		{name: "defaults"},
		{name: "short timers and TCP-MD5", bgp: BGPOptions{KeepaliveTime: time.Second, HoldTime: 3 * time.Second, Password: "lab-secret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := up(t, Options{Nodes: 3, Log: testr.New(t), BGP: tc.bgp})
			for i := 1; i <= 2; i++ {
				startNodeBIRD(t, l, i, tc.bgp)
			}
			if tc.bgp.Password != "" {
				// A node with the wrong password never gets a session
				// (checkNeighbors wants node1 and node2 only).
				wrong := tc.bgp
				wrong.Password = "wrong"
				startNodeBIRD(t, l, 3, wrong)
			}
			nodes4 := []netip.Addr{NodeAddr(1, 4), NodeAddr(2, 4)}
			nodes6 := []netip.Addr{NodeAddr(1, 6), NodeAddr(2, 6)}
			eventually(t, "FRR learns both nodes' routes (ECMP)", func(ctx context.Context) error {
				r4, err := l.FRRRoutes(ctx, 4)
				if err := wantRoutes(r4, err, vip4, nodes4); err != nil {
					return err
				}
				r6, err := l.FRRRoutes(ctx, 6)
				return wantRoutes(r6, err, vip6, nodes6)
			})
			eventually(t, "BIRD learns both nodes' routes (ECMP)", func(ctx context.Context) error {
				r4, err := l.BIRDRoutes(ctx, 4)
				if err := wantRoutes(r4, err, vip4, nodes4); err != nil {
					return err
				}
				r6, err := l.BIRDRoutes(ctx, 6)
				return wantRoutes(r6, err, vip6, nodes6)
			})
			eventually(t, "the routers' kernels have the ECMP routes", func(context.Context) error {
				r, err := l.KernelRoutes(Router, 4)
				if err := wantRoutes(r, err, vip4, nodes4); err != nil {
					return err
				}
				// zebra installs the link-local next hops of IPv6 paths.
				r6, err := l.KernelRoutes(Router, 6)
				if err != nil {
					return err
				}
				if len(r6[vip6]) != 2 || !r6[vip6][0].IsLinkLocalUnicast() {
					return fmt.Errorf("router IPv6 %s via %v; want two link-local next hops", vip6, r6[vip6])
				}
				r, err = l.KernelRoutes(Router2, 4)
				if err := wantRoutes(r, err, vip4, nodes4); err != nil {
					return err
				}
				r, err = l.KernelRoutes(Router2, 6)
				return wantRoutes(r, err, vip6, nodes6)
			})
			checkNeighbors(t, l, tc.bgp)
			checkPaths(t, l)
		})
	}
}

func checkNeighbors(t *testing.T, l *Lab, b BGPOptions) {
	t.Helper()
	ctx := t.Context()
	hold := b.HoldTime
	for _, q := range []struct {
		router      string
		neighbors   func(context.Context) (map[netip.Addr]Neighbor, error)
		defaultHold time.Duration
		asn         uint32
	}{
		{Router, l.FRRNeighbors, 180 * time.Second, NodeASN},
		{Router2, l.BIRDNeighbors, 240 * time.Second, NodeASN},
	} {
		nbrs, err := q.neighbors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := hold
		if want == 0 {
			want = q.defaultHold
		}
		var addrs []netip.Addr
		for a, n := range nbrs {
			addrs = append(addrs, a)
			if n.State != "Established" || n.RemoteAS != q.asn || n.HoldTime != want ||
				n.Prefixes[4] != 1 || n.Prefixes[6] != 1 || time.Since(n.Since) > time.Minute || n.Since.After(time.Now()) {
				t.Errorf("%s: neighbor %s = %+v; want Established, AS %d, hold %v, one prefix per family, recent", q.router, a, n, q.asn, want)
			}
		}
		slices.SortFunc(addrs, netip.Addr.Compare)
		if want := []netip.Addr{NodeAddr(1, 4), NodeAddr(2, 4)}; !slices.Equal(addrs, want) {
			t.Errorf("%s: neighbors %v, want %v", q.router, addrs, want)
		}
	}
}

func checkPaths(t *testing.T, l *Lab) {
	t.Helper()
	for _, q := range []struct {
		router    string
		paths     func(context.Context, int) (map[netip.Prefix][]Path, error)
		asPath    []uint32
		localPref uint32
	}{
		{Router, l.FRRPaths, []uint32{NodeASN}, 0},
		{Router2, l.BIRDPaths, nil, 100},
	} {
		paths, err := q.paths(t.Context(), 4)
		if err != nil {
			t.Fatal(err)
		}
		ps := paths[vip4]
		if len(ps) != 2 || !slices.ContainsFunc(ps, func(p Path) bool { return p.Best }) {
			t.Errorf("%s: %s paths %+v; want two, one best", q.router, vip4, ps)
		}
		for _, p := range ps {
			if p.Peer != p.NextHop || !slices.Equal(p.ASPath, q.asPath) || p.LocalPref != q.localPref ||
				!slices.Equal(p.Communities, []string{"65000:100"}) || !slices.Equal(p.LargeCommunities, []string{"64512:1:2"}) {
				t.Errorf("%s: path %+v; want AS path %v, local pref %d, the node's communities", q.router, p, q.asPath, q.localPref)
			}
		}
	}
}

func TestRouterLifecycle(t *testing.T) {
	l := up(t, Options{Nodes: 2, Log: testr.New(t)})
	for i := 1; i <= 2; i++ {
		startNodeBIRD(t, l, i, BGPOptions{})
	}
	nodes4 := []netip.Addr{NodeAddr(1, 4), NodeAddr(2, 4)}
	kernel := func(router string, want []netip.Addr) func(context.Context) error {
		return func(context.Context) error {
			r, err := l.KernelRoutes(router, 4)
			return wantRoutes(r, err, vip4, want)
		}
	}
	frr := func(want []netip.Addr) func(context.Context) error {
		return func(ctx context.Context) error {
			r, err := l.FRRRoutes(ctx, 4)
			return wantRoutes(r, err, vip4, want)
		}
	}
	eventually(t, "both routers have the routes", func(ctx context.Context) error {
		return errors.Join(kernel(Router, nodes4)(ctx), kernel(Router2, nodes4)(ctx))
	})

	// A killed FRR leaves its routes in the kernel, as a crash does.
	if err := l.KillRouter(Router); err != nil {
		t.Fatal(err)
	}
	if err := kernel(Router, nodes4)(t.Context()); err != nil {
		t.Errorf("after SIGKILL: %v", err)
	}
	if err := l.StartRouter(t.Context(), Router); err != nil {
		t.Fatal(err)
	}
	eventually(t, "FRR relearns the routes after a crash", frr(nodes4))

	// A stopped BIRD removes its routes from the kernel.
	if err := l.StopRouter(Router2); err != nil {
		t.Fatal(err)
	}
	eventually(t, "BIRD's routes leave the kernel", kernel(Router2, nil))
	if err := l.StartRouter(t.Context(), Router2); err != nil {
		t.Fatal(err)
	}
	eventually(t, "BIRD relearns the routes", kernel(Router2, nodes4))

	// A stopped FRR removes its routes from the kernel.
	if err := l.StopRouter(Router); err != nil {
		t.Fatal(err)
	}
	eventually(t, "FRR's routes leave the kernel", kernel(Router, nil))
	if err := l.StartRouter(t.Context(), Router); err != nil {
		t.Fatal(err)
	}
	eventually(t, "FRR relearns the routes after a stop", frr(nodes4))

	if err := l.RestartRouter(t.Context(), Router); err != nil {
		t.Fatal(err)
	}
	eventually(t, "FRR relearns the routes after a restart", frr(nodes4))

	// Run-time configuration: shut the node sessions down and up again.
	shut := []string{"configure terminal", "router bgp 64500", "neighbor NODES shutdown"}
	if _, err := l.Vtysh(t.Context(), shut...); err != nil {
		t.Fatal(err)
	}
	eventually(t, "FRR drops the routes of shut sessions", frr(nil))
	if _, err := l.Vtysh(t.Context(), "configure terminal", "router bgp 64500", "no neighbor NODES shutdown"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "FRR relearns the routes", frr(nodes4))

	conf, err := l.BIRDConfig()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.ConfigureBIRD(t.Context(), conf+"\nthis is not BIRD syntax;\n"); err == nil {
		t.Error("ConfigureBIRD accepted a broken configuration")
	}
	if got, _ := l.BIRDConfig(); got != conf {
		t.Error("ConfigureBIRD kept a configuration BIRD rejected")
	}
	if _, err := l.Vtysh(t.Context(), "show no such thing"); err == nil {
		t.Error("Vtysh succeeded with an unknown command")
	}
	next, err := RenderBIRD(BGPOptions{KeepaliveTime: 2 * time.Second, HoldTime: 6 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.ConfigureBIRD(t.Context(), next); err != nil {
		t.Fatal(err)
	}
	if got, _ := l.BIRDConfig(); got != next {
		t.Errorf("BIRDConfig after ConfigureBIRD:\n%s\nwant:\n%s", got, next)
	}
	eventually(t, "BIRD keeps the routes across a reconfiguration", kernel(Router2, nodes4))
	if err := l.StartRouter(t.Context(), Router2); err == nil {
		t.Error("StartRouter of a running router succeeded")
	}
	if err := l.StopRouter("node1"); err == nil {
		t.Error("StopRouter(node1) succeeded")
	}
}

// TestBGPOverIPv6 checks the routers' IPv6 listen ranges: a node that peers
// over IPv6 and announces an IPv6 address.
func TestBGPOverIPv6(t *testing.T) {
	l := up(t, Options{Nodes: 1, Log: testr.New(t)})
	conf := fmt.Sprintf(`router id %s;
log stderr all;
protocol device {}
protocol static s6 { ipv6; route %s blackhole; }
template bgp up {
  local %s as %d;
  direct;
  connect delay time 1;
  ipv6 { import none; export all; };
}
protocol bgp to_frr from up { neighbor %s as %d; }
protocol bgp to_bird from up { neighbor %s internal; }
`, NodeAddr(1, 4), vip6, NodeAddr(1, 6), NodeASN, RouterAddr(6), RouterASN, Router2Addr(6))
	path := filepath.Join(l.Options().Dir, "bird-v6.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Start(NodeName(1), "bird-v6", "bird", "-f", "-c", path,
		"-s", filepath.Join(l.RunDir(), "bird-v6.ctl"), "-P", filepath.Join(l.RunDir(), "bird-v6.pid")); err != nil {
		t.Fatal(err)
	}
	want := []netip.Addr{NodeAddr(1, 6)}
	eventually(t, "both routers learn the route over IPv6 sessions", func(ctx context.Context) error {
		r, err := l.FRRRoutes(ctx, 6)
		if err := wantRoutes(r, err, vip6, want); err != nil {
			return err
		}
		r, err = l.BIRDRoutes(ctx, 6)
		return wantRoutes(r, err, vip6, want)
	})
	for router, neighbors := range map[string]func(context.Context) (map[netip.Addr]Neighbor, error){
		Router: l.FRRNeighbors, Router2: l.BIRDNeighbors,
	} {
		nbrs, err := neighbors(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := nbrs[NodeAddr(1, 6)]; !ok || n.State != "Established" || n.Prefixes[6] != 1 {
			t.Errorf("%s: neighbors %+v; want %s established with one IPv6 prefix", router, nbrs, NodeAddr(1, 6))
		}
	}
}
