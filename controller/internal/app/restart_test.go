package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
)

// createMany creates n Services named prefix-i from workers goroutines and
// deletes them when the test ends. It may run outside the test's goroutine,
// so it reports with t.Error.
func createMany(t testing.TB, ns, prefix string, n, workers int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := env.Client.Create(context.Background(), lbService(ns, fmt.Sprintf("%s-%d", prefix, i))); err != nil {
					errs <- err
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Cleanup(func() {
		_ = env.Client.DeleteAllOf(context.Background(), &corev1.Service{}, client.InNamespace(ns))
	})
}

// allAllocated waits until n Services of ns have an address, then returns
// their addresses by name and checks that no two share one.
func allAllocated(t *testing.T, ns string, n int) map[string]string {
	t.Helper()
	var ips map[string]string
	eventually(t, 120*time.Second, func(ctx context.Context) error {
		var list corev1.ServiceList
		if err := env.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return err
		}
		ips = map[string]string{}
		for _, s := range list.Items {
			if meta.IsStatusConditionTrue(s.Status.Conditions, ironlbv1.ServiceConditionAllocated) && len(s.Status.LoadBalancer.Ingress) == 1 {
				ips[s.Name] = s.Status.LoadBalancer.Ingress[0].IP
			}
		}
		if len(ips) != n {
			return fmt.Errorf("%d of %d Services allocated", len(ips), n)
		}
		return nil
	})
	owner := map[string]string{}
	for name, ip := range ips {
		if other, ok := owner[ip]; ok {
			t.Errorf("%s and %s both have %s", other, name, ip)
		}
		owner[ip] = name
	}
	return ips
}

// TestRestartKeepsAddresses: a new controller imports every assignment
// before serving requests, so a restart with 1,000 allocated Services
// changes no address and writes nothing.
func TestRestartKeepsAddresses(t *testing.T) {
	const n = 1000
	stop := startController(t, testOptions())
	ns := namespace(t, nil)
	create(t, ipPool("restart", "198.18.0.0/21"))
	createMany(t, ns, "svc", n, 16)
	before := allAllocated(t, ns, n)
	// The Announced condition (no speakers here: NotAnnounced) follows the
	// address; a Service still waiting for it would be written after the
	// restart for reasons of its own.
	var list corev1.ServiceList
	eventually(t, 120*time.Second, func(ctx context.Context) error {
		if err := env.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, s := range list.Items {
			if c := meta.FindStatusCondition(s.Status.Conditions, ironlbv1.ServiceConditionAnnounced); c == nil || c.Reason != "NotAnnounced" {
				return fmt.Errorf("%s: Announced condition %+v", s.Name, c)
			}
		}
		return nil
	})
	versions := map[string]string{}
	for _, s := range list.Items {
		versions[s.Name] = s.ResourceVersion
	}
	stop()

	// Freed while no controller runs: the next controller must not hand
	// out an address still in status, and must reuse the one freed.
	if err := env.Client.Delete(t.Context(), &corev1.Service{ObjectMeta: objectMeta(ns, "svc-0")}); err != nil {
		t.Fatal(err)
	}
	startController(t, testOptions())
	create(t, lbService(ns, "after"))
	got := allocated(t, ns, "after", ironlbv1.ReasonAllocated)
	if ip := ingressIPs(got)[0]; ip != before["svc-0"] {
		t.Errorf("new Service got %s; want the address freed by svc-0, %s", ip, before["svc-0"])
	}
	delete(before, "svc-0")
	before["after"] = ingressIPs(got)[0]

	after := allAllocated(t, ns, n)
	changed := 0
	for name, ip := range before {
		if after[name] != ip {
			changed++
			t.Errorf("%s changed from %s to %s", name, ip, after[name])
		}
	}
	if err := env.Client.List(t.Context(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	writes := 0
	for _, s := range list.Items {
		if v, ok := versions[s.Name]; ok && v != s.ResourceVersion {
			writes++
		}
	}
	if changed != 0 || writes != 0 {
		t.Errorf("restart changed %d addresses and rewrote %d Services; want none", changed, writes)
	}
}

// TestLeaderFailoverUnderBurst: two replicas, 500 Services created at once,
// the leader stopped in the middle: every Service gets an address and no two
// share one, and each replica records an Event on the Lease when it leads.
func TestLeaderFailoverUnderBurst(t *testing.T) {
	const n = 500
	start := time.Now().Add(-time.Second) // Event times have microseconds; the clocks are one
	stopFirst := startController(t, testOptions())
	ns := namespace(t, nil)
	create(t, ipPool("burst", "198.18.8.0/22"))
	create(t, lbService(ns, "leader-check"))
	allocated(t, ns, "leader-check", ironlbv1.ReasonAllocated) // the first replica leads
	startController(t, testOptions())

	done := make(chan struct{})
	go func() {
		defer close(done)
		createMany(t, ns, "burst", n, 32)
	}()
	// Stop the leader once allocations are under way.
	eventually(t, 60*time.Second, func(ctx context.Context) error {
		var list corev1.ServiceList
		if err := env.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return err
		}
		k := 0
		for _, s := range list.Items {
			if len(s.Status.LoadBalancer.Ingress) > 0 {
				k++
			}
		}
		if k < n/5 {
			return fmt.Errorf("%d Services allocated so far", k)
		}
		return nil
	})
	stopFirst()
	<-done
	allAllocated(t, ns, n+1)

	eventually(t, 30*time.Second, func(ctx context.Context) error {
		var list eventsv1.EventList
		if err := env.Client.List(ctx, &list, client.InNamespace("ironlb-system")); err != nil {
			return err
		}
		leaders := map[string]bool{}
		for _, e := range list.Items {
			if e.Reason == "LeaderElection" && e.Regarding.Kind == "Lease" && e.Regarding.Name == "ironlb-controller" &&
				e.EventTime.After(start) {
				leaders[e.Note] = true
			}
		}
		if len(leaders) < 2 {
			return fmt.Errorf("LeaderElection Events on the Lease since the test started: %v, want one per replica", leaders)
		}
		return nil
	})
}
