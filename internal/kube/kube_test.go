package kube_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/ironlb/ironlb/internal/deptest"
	"github.com/ironlb/ironlb/internal/kube"
	"github.com/ironlb/ironlb/internal/metricstest"
	"github.com/ironlb/ironlb/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

// TestDeps: the package, and the binaries built on it, link no
// clientset and no controller-runtime client, cache or manager; those are
// what register every API group (see the package comment).
func TestDeps(t *testing.T) {
	forbidden := []string{
		"k8s.io/client-go/kubernetes", "k8s.io/api/apps", "k8s.io/api/batch",
		"sigs.k8s.io/controller-runtime/pkg/client/apiutil", "sigs.k8s.io/controller-runtime/pkg/cache",
		"sigs.k8s.io/controller-runtime/pkg/manager",
	}
	deptest.Forbid(t, "github.com/ironlb/ironlb/internal/kube", forbidden...)
	deptest.Forbid(t, "github.com/ironlb/ironlb/controller", forbidden...)
	deptest.Forbid(t, "github.com/ironlb/ironlb/speaker", forbidden...)
}

func newClient(t *testing.T) *kube.Client {
	t.Helper()
	c, err := kube.New(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// eventually polls f until it returns nil.
func eventually(t *testing.T, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestInformerAndPatch: an informer sees objects created, patched and
// deleted through the Client, with the transform applied.
func TestInformerAndPatch(t *testing.T) {
	c := newClient(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "kube-"}}
	if err := c.Create(ctx, kube.Namespaces, "", ns, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), ns) })

	inf := kube.NewInformer(c, kube.Secrets, &corev1.Secret{}, kube.InformerOptions{
		Namespace: ns.Name,
		Transform: func(o any) (any, error) {
			if s, ok := o.(*corev1.Secret); ok {
				s.Annotations = nil
			}
			return o, nil
		},
	})
	var deleted atomic.Int32
	if err := inf.Handle(kube.Handler[*corev1.Secret]{Delete: func(*corev1.Secret) { deleted.Add(1) }}); err != nil {
		t.Fatal(err)
	}
	go inf.Run(ctx)
	if !kube.WaitForSync(ctx, inf) {
		t.Fatal("not synced")
	}

	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "s", Annotations: map[string]string{"a": "b"}}}
	if err := c.Create(ctx, kube.Secrets, ns.Name, s, s); err != nil {
		t.Fatal(err)
	}
	key := kube.KeyOf(s)
	eventually(t, 10*time.Second, func() error {
		got, ok := inf.Get(key)
		switch {
		case !ok:
			return errors.New("not cached")
		case got.Annotations != nil:
			return fmt.Errorf("annotations %v kept; the transform drops them", got.Annotations)
		}
		return nil
	})
	if err := c.Patch(ctx, kube.Secrets, key, "", types.MergePatchType, []byte(`{"data":{"k":"dg=="}}`), "test"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		if got, _ := inf.Get(key); got == nil || string(got.Data["k"]) != "v" {
			return fmt.Errorf("cached %v, want the patched data", got)
		}
		if n := len(inf.InNamespace(ns.Name)); n != 1 {
			return fmt.Errorf("%d Secrets in the namespace, want 1", n)
		}
		return nil
	})
	if err := env.Client.Delete(ctx, s); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		if _, ok := inf.Get(key); ok || deleted.Load() != 1 {
			return fmt.Errorf("still cached, or %d deletions seen", deleted.Load())
		}
		return nil
	})
}

// TestQueue: a failed or panicking reconcile is tried again, a requeue
// comes back, and one key queued many times while waiting runs once.
func TestQueue(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	reg := prometheus.NewRegistry()
	m, err := kube.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]*atomic.Int32{"fail": {}, "panic": {}, "later": {}, "many": {}}
	q := kube.NewQueue("test", 2, func(_ context.Context, k types.NamespacedName) (time.Duration, error) {
		n := calls[k.Name].Add(1)
		switch {
		case k.Name == "fail" && n == 1:
			return 0, errors.New("first try fails")
		case k.Name == "panic" && n == 1:
			panic("first try panics")
		case k.Name == "later" && n == 1:
			return 10 * time.Millisecond, nil
		}
		return 0, nil
	}, logr.Discard(), m)
	for range 100 {
		q.Add(types.NamespacedName{Name: "many"})
	}
	q.Add(types.NamespacedName{Name: "fail"}, types.NamespacedName{Name: "panic"}, types.NamespacedName{Name: "later"})
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
	eventually(t, 10*time.Second, func() error {
		for name, want := range map[string]int32{"fail": 2, "panic": 2, "later": 2, "many": 1} {
			if got := calls[name].Load(); got != want {
				return fmt.Errorf("%s reconciled %d times, want %d", name, got, want)
			}
		}
		return nil
	})
	cancel()
	<-done
	results := metricstest.ByLabel(t, reg, "ironlb_reconcile_total", "result")
	if results["error"] != 2 || results["requeue_after"] != 1 || results["success"] != 4 {
		t.Errorf("ironlb_reconcile_total by result %v, want 2 errors, 1 requeue_after, 4 successes", results)
	}
}

// TestLead: of two replicas one leads; when it stops, it releases the
// Lease and the other takes over well before the lease duration; a
// replica whose Lease is taken from it stops with ErrLeadershipLost.
func TestLead(t *testing.T) {
	c := newClient(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "lead-"}}
	if err := c.Create(t.Context(), kube.Namespaces, "", ns, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), ns) })
	lease := types.NamespacedName{Namespace: ns.Name, Name: "test"}

	var leader atomic.Value // identity of the replica leading now, or ""
	leader.Store("")
	type replica struct {
		stop func()
		done chan error
	}
	start := func(id string, duration time.Duration) replica {
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			done <- c.Lead(ctx, kube.Election{
				Lease: lease, Identity: id,
				LeaseDuration: duration, RenewDeadline: 2 * time.Second, RetryPeriod: 100 * time.Millisecond,
				OnLeading: func(ctx context.Context) {
					if !leader.CompareAndSwap("", id) {
						t.Errorf("%s leads while %s does", id, leader.Load())
					}
					<-ctx.Done()
					leader.Store("")
				},
				Log: logr.Discard(),
			})
		}()
		return replica{stop: cancel, done: done}
	}
	leads := func(id string) func() error {
		return func() error {
			if got := leader.Load(); got != id {
				return fmt.Errorf("leader %q, want %q", got, id)
			}
			return nil
		}
	}

	// A long lease: only a release lets b take over within the test.
	a := start("a", time.Hour)
	eventually(t, 10*time.Second, leads("a"))
	b := start("b", time.Hour)
	time.Sleep(500 * time.Millisecond) // five of b's tries
	if err := leads("a")(); err != nil {
		t.Fatal(err)
	}
	a.stop()
	if err := <-a.done; err != nil {
		t.Fatalf("a: %v", err)
	}
	eventually(t, 10*time.Second, leads("b"))

	var l coordinationv1.Lease
	if err := c.Get(t.Context(), kube.Leases, lease, &l); err != nil {
		t.Fatal(err)
	}
	if got := ptr.Deref(l.Spec.HolderIdentity, ""); got != "b" {
		t.Errorf("Lease held by %q, want b", got)
	}

	// Someone else takes the Lease (an operator, a split brain): b cannot
	// renew, and gives up leading within its renew deadline.
	l.Spec.HolderIdentity = ptr.To("intruder")
	if err := c.Update(t.Context(), kube.Leases, lease, &l, &l); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-b.done:
		if !errors.Is(err, kube.ErrLeadershipLost) {
			t.Fatalf("b: %v, want ErrLeadershipLost", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("b still leads a Lease it no longer holds")
	}
	if got := leader.Load(); got != "" {
		t.Errorf("%s still runs as leader", got)
	}
}

// fakeCache is a Cache whose sync the test decides.
type fakeCache struct{ synced atomic.Bool }

func (f *fakeCache) Run(ctx context.Context) { <-ctx.Done() }
func (f *fakeCache) HasSynced() bool         { return f.synced.Load() }

// TestAfterSync: the work starts only once every cache has synced, and
// not at all when the context ends first.
func TestAfterSync(t *testing.T) {
	a, b := &fakeCache{}, &fakeCache{}
	var started atomic.Bool
	run := kube.AfterSync([]kube.Cache{a, b}, func(ctx context.Context) error {
		started.Store(true)
		<-ctx.Done()
		return nil
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	a.synced.Store(true)
	time.Sleep(300 * time.Millisecond) // client-go polls every 100 ms
	if started.Load() {
		t.Fatal("started with one cache not synced")
	}
	b.synced.Store(true)
	eventually(t, 10*time.Second, func() error {
		if !started.Load() {
			return errors.New("not started with every cache synced")
		}
		return nil
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	never := kube.AfterSync([]kube.Cache{&fakeCache{}}, func(context.Context) error {
		t.Error("started without a synced cache")
		return nil
	})
	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	if err := never(ctx); err != nil {
		t.Fatal(err)
	}
}
