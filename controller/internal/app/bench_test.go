package app_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/testenv"
)

// allocatedCount counts the Services of ns whose Allocated condition is True.
func allocatedCount(ctx context.Context, ns string) (int, error) {
	var list corev1.ServiceList
	if err := env.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return 0, err
	}
	n := 0
	for _, s := range list.Items {
		if meta.IsStatusConditionTrue(s.Status.Conditions, ironlbv1.ServiceConditionAllocated) {
			n++
		}
	}
	return n, nil
}

// BenchmarkPendingServicesAllocated measures end to end, against the real
// apiserver: 1,000 Services wait without a pool; the clock starts when the
// pool is created and stops when every Service's status says Allocated.
// Run with -benchtime=1x.
func BenchmarkPendingServicesAllocated(b *testing.B) {
	const n = 1000
	for i := range b.N {
		ns := fmt.Sprintf("bench-pending-%d-%d", time.Now().UnixNano(), i)
		if err := env.Client.Create(b.Context(), &corev1.Namespace{ObjectMeta: objectMeta("", ns)}); err != nil {
			b.Fatal(err)
		}
		createMany(b, ns, "svc", n, 32)
		ctx, cancel := context.WithCancel(context.Background())
		o := testOptions()
		o.QPS, o.Burst = 1000, 2000
		done := make(chan error, 1)
		go func() { done <- runController(ctx, o) }()
		// Wait until it leads and has seen every Service pending.
		waitFor(b, 60*time.Second, func() bool {
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
		b.ResetTimer()
		start := time.Now()
		if err := env.Client.Create(b.Context(), pool); err != nil {
			b.Fatal(err)
		}
		waitFor(b, 120*time.Second, func() bool {
			k, err := allocatedCount(b.Context(), ns)
			return err == nil && k == n
		})
		elapsed := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(n)/elapsed.Seconds(), "services/s")
		cancel()
		<-done
		_ = env.Client.DeleteAllOf(context.Background(), &corev1.Service{}, client.InNamespace(ns))
		_ = env.Client.Delete(context.Background(), pool)
	}
}

// BenchmarkControllerRSS runs the controller binary against the real
// apiserver with 10,000 allocated LoadBalancer Services and reports its
// resident memory. Run with -benchtime=1x.
func BenchmarkControllerRSS(b *testing.B) {
	const n = 10000
	dir := b.TempDir()
	bin := filepath.Join(dir, "controller")
	build := exec.Command("go", "build", "-o", bin, "github.com/ironlb/ironlb/controller")
	build.Dir = testenv.RepoRoot()
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
	pool := ipPool("bench-rss", "198.18.32.0/18")
	if err := env.Client.Create(b.Context(), pool); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = env.Client.Delete(context.Background(), pool) })
	cmd := exec.Command(bin, "--kubeconfig", kubeconfig, "--leader-elect=false",
		"--metrics-bind-address=0", "--health-probe-bind-address=0", "--kube-api-qps=1000", "--kube-api-burst=2000")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	for range b.N {
		createMany(b, ns, "svc", n, 32)
		waitFor(b, 600*time.Second, func() bool {
			k, err := allocatedCount(b.Context(), ns)
			return err == nil && k == n
		})
		rss, err := rssMB(cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rss, "MB-RSS")
	}
}

func waitFor(b testing.TB, timeout time.Duration, ok func() bool) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			b.Fatalf("not reached in %s", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
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
