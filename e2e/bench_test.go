//go:build linux

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/e2e/cluster"
	"github.com/ironlb/ironlb/e2e/lab"
)

// routeWatch records, from netlink notifications in a lab namespace, when
// each host route appeared with how many next hops. Timestamps come from
// the kernel's notification, not from polling a router.
type routeWatch struct {
	mu    sync.Mutex
	first map[netip.Prefix]time.Time        // first time the prefix was seen
	hops  map[netip.Prefix]int              // current next-hop count
	drop  map[netip.Prefix][]routeHopChange // changes of next-hop count
}

type routeHopChange struct {
	at   time.Time
	hops int
}

func watchRoutes(t testing.TB, ns string) *routeWatch {
	t.Helper()
	h, err := netns.GetFromName(c.Lab.NS(ns))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ch := make(chan netlink.RouteUpdate, 4096)
	done := make(chan struct{})
	if err := netlink.RouteSubscribeWithOptions(ch, done, netlink.RouteSubscribeOptions{
		Namespace: &h, ReceiveBufferSize: 8 << 20, ReceiveBufferForceSize: true,
	}); err != nil {
		t.Fatal(err)
	}
	w := &routeWatch{first: map[netip.Prefix]time.Time{}, hops: map[netip.Prefix]int{}, drop: map[netip.Prefix][]routeHopChange{}}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for u := range ch {
			w.observe(u, time.Now())
		}
	}()
	t.Cleanup(func() { close(done); <-stopped })
	return w
}

func (w *routeWatch) observe(u netlink.RouteUpdate, at time.Time) {
	if u.Dst == nil {
		return
	}
	addr, ok := netip.AddrFromSlice(u.Dst.IP)
	if !ok {
		return
	}
	ones, _ := u.Dst.Mask.Size()
	p := netip.PrefixFrom(addr.Unmap(), ones)
	hops := max(len(u.MultiPath), 1)
	w.mu.Lock()
	defer w.mu.Unlock()
	switch u.Type {
	case 24: // RTM_NEWROUTE
		if _, ok := w.first[p]; !ok {
			w.first[p] = at
		}
	case 25: // RTM_DELROUTE
		hops = 0
	default:
		return
	}
	if w.hops[p] != hops {
		w.hops[p] = hops
		w.drop[p] = append(w.drop[p], routeHopChange{at, hops})
	}
}

func (w *routeWatch) seen(p netip.Prefix) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	at, ok := w.first[p]
	return at, ok
}

func (w *routeWatch) count(pred func(netip.Prefix, int) bool) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for p, h := range w.hops {
		if pred(p, h) {
			n++
		}
	}
	return n
}

func percentile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// BenchmarkServiceToRoute creates Services one at a time (in one namespace)
// and measures, per Service, the time from the create call to the route in
// the FRR router's kernel (learned over BGP from the speakers, installed by
// zebra), and to the address in the Service's status. Both ends are seen by
// watches (netlink in the router's namespace, a Service watch), not by
// polling. Each Service's EndpointSlice is created right after it, as an
// endpoints controller would; no other request is timed.
func BenchmarkServiceToRoute(b *testing.B) {
	ns := "bench-route"
	if err := c.Env.Client.Create(b.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatal(err)
	}
	cleanupNamespace(b, ns)
	// Measure Services, not session set-up: a lab just brought up may
	// still be connecting to the routers.
	waitSessionsUp(b)
	w := watchRoutes(b, "router")
	ingress := watchIngress(b, ns)
	var lat, alloc, after []time.Duration
	for i := range max(b.N, 50) {
		spec := cluster.ServiceSpec{Namespace: ns, Name: fmt.Sprintf("web%d", i), Nodes: []int{1, 2, 3}}
		svc := spec.Object()
		start := time.Now()
		if err := c.Env.Client.Create(b.Context(), svc); err != nil {
			b.Fatal(err)
		}
		if err := c.Env.Client.Create(b.Context(), cluster.EndpointSlice(ns, svc.Name, 4, spec.Nodes...)); err != nil {
			b.Fatal(err)
		}
		ip, at := ingress.wait(b, svc.Name)
		alloc = append(alloc, at.Sub(start))
		seen := waitSeen(b, w, host(ip))
		lat = append(lat, seen.Sub(start))
		after = append(after, seen.Sub(at))
		if d := seen.Sub(start); d > 500*time.Millisecond {
			b.Logf("slow: %s created %s, address %s after %s, route after %s", svc.Name, start.Format("15:04:05.000"), ip, at.Sub(start), d)
		}
	}
	// From the address in status to the route: the speakers, GoBGP and FRR.
	b.ReportMetric(float64(percentile(after, 0.5).Microseconds())/1000, "status-to-route-p50-ms")
	b.ReportMetric(float64(percentile(after, 0.99).Microseconds())/1000, "status-to-route-p99-ms")
	b.ReportMetric(float64(percentile(lat, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(percentile(alloc, 0.5).Microseconds())/1000, "alloc-p50-ms")
	b.ReportMetric(float64(percentile(alloc, 0.99).Microseconds())/1000, "alloc-p99-ms")
	sum := metric(b, "node1", "ironlb_speaker_pass_duration_seconds_sum")
	n := metric(b, "node1", "ironlb_speaker_pass_duration_seconds_count")
	b.ReportMetric(sum/n*1000, "node1-pass-avg-ms")
	b.ReportMetric(n, "node1-passes")
}

// BenchmarkManyServices creates 10,000 Services (IRONLB_BENCH_SERVICES) at
// once from their own pool and measures the time until FRR's kernel has all
// their routes, and then node1's speaker's RSS.
func BenchmarkManyServices(b *testing.B) {
	n := 10000
	if s := os.Getenv("IRONLB_BENCH_SERVICES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	create(b, `{apiVersion: ironlb.io/v1alpha1, kind: IPPool, metadata: {name: bench},
		spec: {addresses: [198.18.64.0/18], autoAssign: false}}`)
	create(b, `{apiVersion: ironlb.io/v1alpha1, kind: BGPAnnouncement, metadata: {name: bench}, spec: {ipPools: [bench], peers: [router]}}`)
	pool := netip.MustParsePrefix("198.18.64.0/18")
	w := watchRoutes(b, "router")
	ctx := b.Context()
	// Without kube-proxy: three of them rewriting nftables for each of
	// 10,000 new Services would take most of the 2 cores, and no traffic is
	// measured here.
	for i := 1; i <= c.Lab.Nodes(); i++ {
		if err := c.StopKubeProxy(lab.NodeName(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() {
		for i := 1; i <= c.Lab.Nodes(); i++ {
			_ = c.StartKubeProxy(lab.NodeName(i))
		}
	})
	ns := "bench-many"
	cleanupNamespace(b, ns)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 32)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, err := c.CreateService(ctx, cluster.ServiceSpec{
				Namespace: ns, Name: fmt.Sprintf("s%05d", i), Nodes: []int{1, 2, 3}, NoNodePorts: true,
				Annotations: map[string]string{v1alpha1.AnnotationPool: "bench"},
			})
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	created := time.Since(start)
	full := func(p netip.Prefix, hops int) bool { return pool.Contains(p.Addr()) && hops == c.Lab.Nodes() }
	deadline := time.Now().Add(20 * time.Minute)
	for w.count(full) < n {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d routes at FRR after 20 minutes", w.count(full), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	all := time.Since(start)
	b.ReportMetric(created.Seconds(), "create-s")
	b.ReportMetric(all.Seconds(), "all-routes-s")
	b.ReportMetric(float64(speakerRSS(b, "node1", "VmRSS"))/(1<<20), "speaker-rss-MB")
	b.ReportMetric(float64(speakerRSS(b, "node1", "RssAnon"))/(1<<20), "speaker-anon-MB")
	b.ReportMetric(float64(speakerRSS(b, "node1", "RssFile"))/(1<<20), "speaker-file-MB")
	// What the Go heap holds of that, to tell live data from the
	// collector's headroom.
	b.ReportMetric(metric(b, "node1", "go_memstats_heap_inuse_bytes")/(1<<20), "speaker-heap-inuse-MB")
	if p := os.Getenv("IRONLB_BENCH_HEAP_PROFILE"); p != "" {
		out, err := c.Lab.Exec(ctx, "node1", "bash", "-c",
			`exec 3<>/dev/tcp/127.0.0.1/7474 && printf 'GET /debug/pprof/heap HTTP/1.0\r\n\r\n' >&3 && cat <&3`)
		if err != nil {
			b.Fatal(err)
		}
		if _, body, ok := bytes.Cut(out, []byte("\r\n\r\n")); ok {
			if err := os.WriteFile(p, body, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkSpeakerCrash kills a speaker and measures how long until the
// router without graceful restart (BIRD) stops routing through that node.
func BenchmarkSpeakerCrash(b *testing.B) {
	svc, err := c.CreateService(b.Context(), cluster.ServiceSpec{Namespace: "bench-crash", Name: "web", Nodes: []int{1, 2, 3}})
	if err != nil {
		b.Fatal(err)
	}
	cleanupNamespace(b, "bench-crash")
	p := host(waitIngress(b, client.ObjectKeyFromObject(svc)))
	w := watchRoutes(b, "router2")
	var lat []time.Duration
	for range max(b.N, 5) {
		waitRouteEverywhere(b, p, nodes(4, 1, 2, 3))
		killed := time.Now()
		if err := c.KillSpeaker("node1"); err != nil {
			b.Fatal(err)
		}
		for {
			if at, ok := w.lastChange(p, killed, 2); ok {
				lat = append(lat, at.Sub(killed))
				break
			}
			if time.Since(killed) > waitTimeout {
				b.Fatal("BIRD kept routing through the killed node")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := c.StartSpeaker("node1"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(percentile(lat, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(slices.Max(lat).Microseconds())/1000, "max-ms")
}

// lastChange reports when, after t, the prefix's next-hop count became hops.
func (w *routeWatch) lastChange(p netip.Prefix, after time.Time, hops int) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ch := range w.drop[p] {
		if ch.at.After(after) && ch.hops == hops {
			return ch.at, true
		}
	}
	return time.Time{}, false
}

func waitIngress(t testing.TB, key client.ObjectKey) netip.Addr {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		var svc corev1.Service
		if err := c.Env.Client.Get(t.Context(), key, &svc); err == nil && len(svc.Status.LoadBalancer.Ingress) > 0 {
			return netip.MustParseAddr(svc.Status.LoadBalancer.Ingress[0].IP)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s got no address", key)
		}
		// Every 5 ms: finer polling would load the apiserver it measures.
		time.Sleep(5 * time.Millisecond)
	}
}

// waitSessionsUp waits until every node's speaker has both router sessions
// Established.
func waitSessionsUp(t testing.TB) {
	t.Helper()
	for i := 1; i <= c.Lab.Nodes(); i++ {
		node := lab.NodeName(i)
		eventually(t, node+"'s sessions up", func(ctx context.Context) (bool, string) {
			var ss v1alpha1.SpeakerStatus
			if err := c.Env.Client.Get(ctx, client.ObjectKey{Name: node}, &ss); err != nil {
				return false, err.Error()
			}
			up := 0
			for _, s := range ss.Status.Sessions {
				if s.State == v1alpha1.BGPStateEstablished {
					up++
				}
			}
			return up == 2, fmt.Sprintf("%+v", ss.Status.Sessions)
		})
	}
}

// ingressWatch records when each Service of a namespace first had an
// address in its status.
type ingressWatch struct {
	mu    sync.Mutex
	first map[string]ingressSeen
}

type ingressSeen struct {
	ip netip.Addr
	at time.Time
}

func watchIngress(t testing.TB, ns string) *ingressWatch {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.Env.Config)
	if err != nil {
		t.Fatal(err)
	}
	wi, err := cs.CoreV1().Services(ns).Watch(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wi.Stop)
	iw := &ingressWatch{first: map[string]ingressSeen{}}
	go func() {
		for ev := range wi.ResultChan() {
			at := time.Now()
			svc, ok := ev.Object.(*corev1.Service)
			if !ok || len(svc.Status.LoadBalancer.Ingress) == 0 {
				continue
			}
			iw.mu.Lock()
			if _, seen := iw.first[svc.Name]; !seen {
				iw.first[svc.Name] = ingressSeen{ip: netip.MustParseAddr(svc.Status.LoadBalancer.Ingress[0].IP), at: at}
			}
			iw.mu.Unlock()
		}
	}()
	return iw
}

// wait returns a Service's first address and when the watch saw it.
func (iw *ingressWatch) wait(t testing.TB, name string) (netip.Addr, time.Time) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		iw.mu.Lock()
		s, ok := iw.first[name]
		iw.mu.Unlock()
		if ok {
			return s.ip, s.at
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s got no address", name)
		}
		time.Sleep(time.Millisecond)
	}
}

func waitSeen(t testing.TB, w *routeWatch, p netip.Prefix) time.Time {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		if at, ok := w.seen(p); ok {
			return at
		}
		if time.Now().After(deadline) {
			t.Fatalf("no route for %s at the router", p)
		}
		time.Sleep(time.Millisecond)
	}
}

func cleanupNamespace(t testing.TB, ns string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		var list corev1.ServiceList
		if err := c.Env.Client.List(ctx, &list, client.InNamespace(ns)); err == nil {
			for i := range list.Items {
				_ = c.Env.Client.Delete(ctx, &list.Items[i])
			}
		}
		_ = c.Env.Client.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	})
}

// speakerRSS reads a resident-memory field of a node's speaker from
// /proc/PID/status: VmRSS (all of it), RssAnon (its private memory) or
// RssFile (pages of the executable, shared with the page cache).
func speakerRSS(t testing.TB, node, field string) int64 {
	t.Helper()
	p := c.Speaker(node)
	if p == nil {
		t.Fatalf("no speaker on %s", node)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("no %s", field)
	return 0
}

// BenchmarkL2Failover measures, for each way the owner of a layer-2
// address can fail, the longest run of failed connections that a client
// probing every 10 ms sees (from its last success before to its first
// success after), over IRONLB_BENCH_TRIALS trials (default 20).
func BenchmarkL2Failover(b *testing.B) {
	trials := 20
	if s := os.Getenv("IRONLB_BENCH_TRIALS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("IRONLB_BENCH_TRIALS=%q: want a positive number", s)
		}
		trials = n
	}
	svc, err := c.CreateService(b.Context(), cluster.ServiceSpec{Namespace: "bench-l2", Name: "web", Nodes: []int{1, 2, 3}, Annotations: l2})
	if err != nil {
		b.Fatal(err)
	}
	cleanupNamespace(b, "bench-l2")
	ip := waitIngress(b, client.ObjectKeyFromObject(svc))
	for _, f := range failures {
		b.Run(f.name, func(b *testing.B) {
			var gaps []time.Duration
			for range max(b.N, trials) {
				gap, from, to := failover(b, f, ip)
				gaps = append(gaps, gap)
				b.Logf("%s of %s: %s took over, gap %v", f.name, from, to, gap)
				// The healed node ranks first for the address: let it win
				// the address back before the next trial breaks it again.
				others := []string{}
				for i := 1; i <= c.Lab.Nodes(); i++ {
					if n := lab.NodeName(i); n != from {
						others = append(others, n)
					}
				}
				waitAnswerer(b, lab.Client, ip, others...)
			}
			b.ReportMetric(float64(percentile(gaps, 0.5).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(percentile(gaps, 0.99).Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(slices.Max(gaps).Microseconds())/1000, "max-ms")
		})
	}
}
