package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/controller/internal/app"
	"github.com/ironlb/ironlb/internal/testenv"
)

// BenchmarkPendingServicesAllocated measures end to end, against the real
// apiserver: 1,000 Services wait without a pool; the clock starts when the
// pool is created and stops when every Service's status says Allocated.
// The controller authenticates with a ServiceAccount token bound to the
// install's roles (config/rbac/controller), as in a cluster; were they
// short of a permission, it would never allocate. Run with -benchtime=1x.
func BenchmarkPendingServicesAllocated(b *testing.B) {
	const n = 1000
	// The controller runs in this process: collect as the binary does,
	// or as IRONLB_BENCH_GOGC says (GOGC would reach the test's apiserver
	// too). IRONLB_BENCH_WORKERS sets its workers.
	gc := app.GCPercent
	if v, err := strconv.Atoi(os.Getenv("IRONLB_BENCH_GOGC")); err == nil {
		gc = v
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(gc))
	}
	for i := range b.N {
		ns := fmt.Sprintf("bench-pending-%d-%d", time.Now().UnixNano(), i)
		if err := env.Client.Create(b.Context(), &corev1.Namespace{ObjectMeta: objectMeta("", ns)}); err != nil {
			b.Fatal(err)
		}
		createMany(b, ns, "svc", n, 32)
		ctx, cancel := context.WithCancel(context.Background())
		o := testOptions()
		o.QPS, o.Burst = 1000, 2000
		if v, err := strconv.Atoi(os.Getenv("IRONLB_BENCH_WORKERS")); err == nil {
			o.Workers = v
		}
		done := make(chan error, 1)
		cfg := serviceAccountConfig(b)
		go func() { done <- app.Run(ctx, cfg, o) }()
		// Wait until it leads and has seen every Service pending. Listing
		// 1,000 Services is work for the apiserver, so not every 20 ms:
		// that kept its heap and collector busy into the measured window.
		waitEvery(b, 60*time.Second, time.Second, func() bool {
			var list corev1.ServiceList
			if err := env.Client.List(b.Context(), &list, client.InNamespace(ns)); err != nil {
				return false
			}
			k := 0
			for _, s := range list.Items {
				if c := meta.FindStatusCondition(s.Status.Conditions, ironlbv1.ServiceConditionAllocated); c != nil {
					k++
				}
			}
			return k == n
		})
		pool := ipPool(fmt.Sprintf("bench-pending-%d", i), "198.18.16.0/22")
		wait := watchAllocated(b, ns, n)
		cpu := newCPUMeter(b)
		b.ResetTimer()
		before := cpu.read(b)
		start := time.Now()
		if err := env.Client.Create(b.Context(), pool); err != nil {
			b.Fatal(err)
		}
		wait(120 * time.Second)
		elapsed := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(n)/elapsed.Seconds(), "services/s")
		// "controller" is this process: the controller and the watch
		// that waits.
		cpu.report(b, before, n)
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
		_ = env.Client.DeleteAllOf(context.Background(), &corev1.Service{}, client.InNamespace(ns))
		_ = env.Client.Delete(context.Background(), pool)
	}
}

// BenchmarkControllerRSS runs the controller binary against the real
// apiserver with 10,000 pending LoadBalancer Services, as after an
// upgrade, and reports how fast it allocates them (from its start) and its
// resident memory once they all are (MB-RSS, with its anonymous and
// file-backed parts, the Go heap in use, and stacks plus GC metadata)
// and 30 s later (MB-RSS-settled). Run with -benchtime=1x.
// IRONLB_BENCH_PPROF=host:port saves the live heap's profile at both
// points into the temporary directory; IRONLB_BENCH_GOGC and
// IRONLB_BENCH_WORKERS set the controller's GOGC and --workers.
func BenchmarkControllerRSS(b *testing.B) {
	const (
		n      = 10000
		settle = 30 * time.Second
	)
	dir := b.TempDir()
	bin := filepath.Join(dir, "controller")
	// Built as the image builds it (hack/image.sh): static, so no C
	// library's pages count, and stripped.
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "github.com/ironlb/ironlb/controller")
	build.Dir = testenv.RepoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build controller: %v\n%s", err, out)
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig, 0o600); err != nil {
		b.Fatal(err)
	}
	ns := fmt.Sprintf("bench-rss-%d", time.Now().UnixNano())
	if err := env.Client.Create(b.Context(), &corev1.Namespace{ObjectMeta: objectMeta("", ns)}); err != nil {
		b.Fatal(err)
	}
	pool := ipPool("bench-rss", "198.18.64.0/18")
	if err := env.Client.Create(b.Context(), pool); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = env.Client.Delete(context.Background(), pool) })
	// The Services exist before the controller starts, as after an
	// upgrade; creating them is not what is measured.
	createMany(b, ns, "svc", n, 32)
	wait := watchAllocated(b, ns, n)
	b.ResetTimer()
	for range b.N {
		metricsAddr := freeAddr(b)
		cmd := exec.Command(bin, "--kubeconfig", kubeconfig, "--leader-elect=false",
			"--metrics-bind-address="+metricsAddr, "--health-probe-bind-address=0", "--pprof-bind-address="+os.Getenv("IRONLB_BENCH_PPROF"), "--kube-api-qps=1000", "--kube-api-burst=2000")
		cmd.Env = os.Environ()
		if os.Getenv("IRONLB_BENCH_PPROF") != "" {
			// Sample every 2 KB allocated, not every 512 KB: a profile
			// that counts objects of a few hundred bytes. It costs
			// memory of its own, so read MB-RSS from a run without.
			cmd.Env = append(cmd.Env, "GODEBUG=memprofilerate=2048")
		}
		// The controller's GOGC alone, not the test apiserver's.
		if v := os.Getenv("IRONLB_BENCH_GOGC"); v != "" {
			cmd.Env = append(cmd.Env, "GOGC="+v)
		}
		if v := os.Getenv("IRONLB_BENCH_WORKERS"); v != "" {
			cmd.Args = append(cmd.Args, "--workers="+v)
		}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		wait(600 * time.Second)
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "services/s")
		rss, err := rssMB(cmd.Process.Pid)
		anon, file := rssParts(b, cmd.Process.Pid)
		heap := scrape(b, metricsAddr, "go_memstats_heap_inuse_bytes")
		goroutines := scrape(b, metricsAddr, "go_goroutines")
		// The private memory that is not heap: goroutine stacks and the
		// collector's metadata, which no cache change moves.
		runtimeMB := (scrape(b, metricsAddr, "go_memstats_stack_inuse_bytes") + scrape(b, metricsAddr, "go_memstats_gc_sys_bytes") +
			scrape(b, metricsAddr, "go_memstats_mspan_inuse_bytes")) / (1 << 20)
		if addr := os.Getenv("IRONLB_BENCH_PPROF"); addr != "" {
			saveHeapProfile(b, addr, "allocated")
		}
		// And once the work that follows allocation is done (the
		// Announced conditions written after their grace, the queues
		// drained) and the runtime has had time to return freed pages:
		// what 10,000 Services cost to hold.
		time.Sleep(settle)
		settled, err2 := rssMB(cmd.Process.Pid)
		if addr := os.Getenv("IRONLB_BENCH_PPROF"); addr != "" {
			saveHeapProfile(b, addr, "settled")
		}
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if err = errors.Join(err, err2); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rss, "MB-RSS")
		b.ReportMetric(anon, "MB-RSS-anon")
		b.ReportMetric(file, "MB-RSS-file")
		b.ReportMetric(heap/(1<<20), "MB-heap-inuse")
		b.ReportMetric(runtimeMB, "MB-stacks-gc-meta")
		b.ReportMetric(goroutines, "goroutines")
		b.ReportMetric(settled, "MB-RSS-settled")
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(b testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// scrape reads one gauge from a Prometheus endpoint.
func scrape(b testing.TB, addr, name string) float64 {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				b.Fatal(err)
			}
			return v
		}
	}
	b.Fatalf("no %s at %s", name, addr)
	return 0
}

// watchAllocated starts an informer now and returns the function that
// waits, so that a benchmark can start its clock after the cache synced. An
// event handler keeps the count, so waiting costs nothing per poll: listing
// thousands of Services every few milliseconds would steal the CPU of the
// apiserver and controller being measured.
func watchAllocated(b testing.TB, ns string, n int) (wait func(time.Duration)) {
	b.Helper()
	ctx, cancel := context.WithCancel(b.Context())
	b.Cleanup(cancel)
	// Protobuf, as the controller reads: JSON would cost the apiserver
	// being measured an encoding of its own for every change.
	cfg := rest.CopyConfig(env.Config)
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	c, err := cache.New(cfg, cache.Options{Scheme: env.Scheme, DefaultNamespaces: map[string]cache.Config{ns: {}}})
	if err != nil {
		b.Fatal(err)
	}
	inf, err := c.GetInformer(ctx, &corev1.Service{})
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	done := map[string]bool{}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(done)
	}
	update := func(obj any) {
		svc, ok := obj.(*corev1.Service)
		if !ok {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if meta.IsStatusConditionTrue(svc.Status.Conditions, ironlbv1.ServiceConditionAllocated) {
			done[svc.Name] = true
		} else {
			delete(done, svc.Name)
		}
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    update,
		UpdateFunc: func(_, obj any) { update(obj) },
	}); err != nil {
		b.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		b.Fatal("cache did not sync")
	}
	return func(timeout time.Duration) {
		waitFor(b, timeout, func() bool { return count() == n })
	}
}

func waitFor(b testing.TB, timeout time.Duration, ok func() bool) {
	b.Helper()
	waitEvery(b, timeout, 20*time.Millisecond, ok)
}

func waitEvery(b testing.TB, timeout, interval time.Duration, ok func() bool) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			b.Fatalf("not reached in %s", timeout)
		}
		time.Sleep(interval)
	}
}

// rssParts reads a process's anonymous (heap, stacks) and file-backed
// (executable) resident memory from /proc, in MiB.
func rssParts(b testing.TB, pid int) (anon, file float64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || (name != "RssAnon" && name != "RssFile") {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
		if err != nil {
			b.Fatal(err)
		}
		if name == "RssAnon" {
			anon = kb / 1024
		} else {
			file = kb / 1024
		}
	}
	return anon, file
}

// saveHeapProfile saves the profile of the live heap (after a collection)
// of the controller serving pprof at addr into the temporary directory as
// controller-heap-<when>.pprof, for go tool pprof.
func saveHeapProfile(b testing.TB, addr, when string) {
	resp, err := http.Get("http://" + addr + "/debug/pprof/heap?gc=1")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(os.TempDir(), "controller-heap-"+when+".pprof")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("heap profile: %s", path)
}

// rssMB reads VmRSS of a process from /proc, in MiB.
func rssMB(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}
