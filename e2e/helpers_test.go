//go:build linux

package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/e2e/cluster"
	"github.com/ironlb/ironlb/e2e/lab"
)

// waitTimeout bounds every wait: the lab converges in well under a second,
// but CI machines are shared. A wait only waits; what a test asserts is the
// state it observed.
const waitTimeout = 60 * time.Second

// eventually polls cond until it reports done, and fails the test with the
// last detail it gave when waitTimeout passes.
func eventually(t testing.TB, what string, cond func(ctx context.Context) (done bool, detail string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
	defer cancel()
	var detail string
	for {
		var done bool
		done, detail = cond(ctx)
		if done {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not reached after %s; last seen: %s", what, waitTimeout, detail)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// newService creates a Service in a namespace of its own, deleted with the
// test, and returns its address of each family once allocated.
func newService(t *testing.T, spec cluster.ServiceSpec) []netip.Addr {
	t.Helper()
	if spec.Namespace == "" {
		spec.Namespace = strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	}
	if spec.Name == "" {
		spec.Name = "web"
	}
	svc, err := c.CreateService(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.Env.Client.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: spec.Namespace}})
		_ = c.Env.Client.Delete(ctx, svc)
	})
	var ips []netip.Addr
	eventually(t, "address allocated", func(ctx context.Context) (bool, string) {
		var cur corev1.Service
		if err := c.Env.Client.Get(ctx, client.ObjectKeyFromObject(svc), &cur); err != nil {
			return false, err.Error()
		}
		ips = ips[:0]
		for _, ing := range cur.Status.LoadBalancer.Ingress {
			ips = append(ips, netip.MustParseAddr(ing.IP))
		}
		return len(ips) == max(1, len(spec.Families)), fmt.Sprintf("ingress %v", cur.Status.LoadBalancer.Ingress)
	})
	return ips
}

// host is the prefix of one address.
func host(ip netip.Addr) netip.Prefix { return netip.PrefixFrom(ip, ip.BitLen()) }

func family(ip netip.Addr) int {
	if ip.Is4() {
		return 4
	}
	return 6
}

// nodes returns the LAN addresses of the given nodes, sorted.
func nodes(fam int, ns ...int) []netip.Addr {
	var out []netip.Addr
	for _, n := range ns {
		out = append(out, lab.NodeAddr(n, fam))
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

type routeSource struct {
	name string
	get  func(ctx context.Context, family int) (map[netip.Prefix][]netip.Addr, error)
}

// routers are the places a route must show up: both BGP daemons and the FRR
// router's kernel, which forwards the traffic.
func routers() []routeSource {
	return []routeSource{
		{"FRR", c.Lab.FRRRoutes},
		{"BIRD", c.Lab.BIRDRoutes},
		{"router kernel", func(ctx context.Context, fam int) (map[netip.Prefix][]netip.Addr, error) {
			return c.Lab.KernelRoutes("router", fam)
		}},
	}
}

// waitRoute waits until src shows prefix with exactly the next hops want
// (none: the prefix is absent).
func waitRoute(t testing.TB, src routeSource, prefix netip.Prefix, want []netip.Addr) {
	t.Helper()
	eventually(t, fmt.Sprintf("%s: %s via %v", src.name, prefix, want), func(ctx context.Context) (bool, string) {
		routes, err := src.get(ctx, map[bool]int{true: 4, false: 6}[prefix.Addr().Is4()])
		if err != nil {
			return false, err.Error()
		}
		got := slices.Clone(routes[prefix])
		slices.SortFunc(got, netip.Addr.Compare)
		got = slices.Compact(got)
		return slices.Equal(got, want), fmt.Sprintf("next hops %v", got)
	})
}

// waitRouteEverywhere waits for the route at FRR, BIRD and in FRR's kernel.
func waitRouteEverywhere(t testing.TB, prefix netip.Prefix, want []netip.Addr) {
	t.Helper()
	for _, src := range routers() {
		waitRoute(t, src, prefix, want)
	}
}

// reply connects from a lab namespace to ip:80 until the backend's line
// ("pod=podN node=nodeN client=IP") contains want, and returns it. It keeps
// trying because kube-proxy programs a Service a moment after the route
// appears, and an address freed by an earlier test may still lead to that
// test's backends until it has.
func reply(t testing.TB, from string, ip netip.Addr, want string) string {
	t.Helper()
	var line string
	eventually(t, fmt.Sprintf("reply from %s to %s containing %q", from, ip, want), func(ctx context.Context) (bool, string) {
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		got, err := c.Lab.Dial(dctx, from, netip.AddrPortFrom(ip, 80))
		if err != nil {
			return false, err.Error()
		}
		line = strings.TrimSpace(got)
		return strings.HasPrefix(line, "pod=") && strings.Contains(line, want), line
	})
	return line
}

// waitAnnounced waits for the ironlb.io/Announced condition of the Service
// name in the test's namespace to have status and a message containing
// want.
func waitAnnounced(t *testing.T, name string, status metav1.ConditionStatus, want string) {
	t.Helper()
	key := client.ObjectKey{Namespace: strings.ToLower(t.Name()), Name: name}
	eventually(t, "Announced condition of "+key.String(), func(ctx context.Context) (bool, string) {
		var svc corev1.Service
		if err := c.Env.Client.Get(ctx, key, &svc); err != nil {
			return false, err.Error()
		}
		got := meta.FindStatusCondition(svc.Status.Conditions, v1alpha1.ServiceConditionAnnounced)
		return got != nil && got.Status == status && strings.Contains(got.Message, want), fmt.Sprintf("conditions %+v", svc.Status.Conditions)
	})
}

// metric returns the value of the speaker's series name{labels} on node,
// scraped from its metrics endpoint inside the node's namespace.
func metric(t testing.TB, node, series string) float64 {
	t.Helper()
	out, err := c.Lab.Exec(t.Context(), node, "bash", "-c",
		`exec 3<>/dev/tcp/127.0.0.1/7472 && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3`)
	if err != nil {
		t.Fatalf("scrape %s metrics: %v", node, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", series, line, err)
			}
			return f
		}
	}
	t.Fatalf("%s exports no %s", node, series)
	return 0
}

// waitEvent waits for an Event in namespace ns with the reason and a note
// containing want.
func waitEvent(t testing.TB, ns, reason, want string) {
	t.Helper()
	eventually(t, fmt.Sprintf("a %s Event saying %q", reason, want), func(ctx context.Context) (bool, string) {
		var list eventsv1.EventList
		if err := c.Env.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return false, err.Error()
		}
		var notes []string
		for _, e := range list.Items {
			if e.Reason == reason && strings.Contains(e.Note, want) {
				return true, ""
			}
			notes = append(notes, e.Reason+": "+e.Note)
		}
		return false, fmt.Sprintf("events %q", notes)
	})
}
