package ipam

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/controller/internal/lbsvc"
	"github.com/ironlb/ironlb/internal/allocator"
)

// TestConfigKey: the key ignores list order and status, and changes with
// anything the configuration is parsed from.
func TestConfigKey(t *testing.T) {
	pool := func(name string, gen int64, labels map[string]string) ironlbv1.IPPool {
		return ironlbv1.IPPool{ObjectMeta: metav1.ObjectMeta{Name: name, Generation: gen, Labels: labels}}
	}
	ns := func(name string, labels map[string]string) corev1.Namespace {
		return corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	}
	base := configKey([]ironlbv1.IPPool{pool("a", 1, nil), pool("b", 1, nil)}, []corev1.Namespace{ns("x", nil), ns("y", nil)})

	reordered := configKey([]ironlbv1.IPPool{pool("b", 1, nil), pool("a", 1, nil)}, []corev1.Namespace{ns("y", nil), ns("x", nil)})
	if reordered != base {
		t.Errorf("key depends on list order")
	}
	withStatus := pool("a", 1, nil)
	withStatus.Status.IPv4 = &ironlbv1.FamilyUsage{Usage: "1/2"}
	if configKey([]ironlbv1.IPPool{withStatus, pool("b", 1, nil)}, []corev1.Namespace{ns("x", nil), ns("y", nil)}) != base {
		t.Errorf("key depends on status")
	}
	for name, key := range map[string]string{
		"generation": configKey([]ironlbv1.IPPool{pool("a", 2, nil), pool("b", 1, nil)}, []corev1.Namespace{ns("x", nil), ns("y", nil)}),
		"pool label": configKey([]ironlbv1.IPPool{pool("a", 1, map[string]string{"k": "v"}), pool("b", 1, nil)}, []corev1.Namespace{ns("x", nil), ns("y", nil)}),
		"ns label":   configKey([]ironlbv1.IPPool{pool("a", 1, nil), pool("b", 1, nil)}, []corev1.Namespace{ns("x", map[string]string{"k": "v"}), ns("y", nil)}),
		"new ns":     configKey([]ironlbv1.IPPool{pool("a", 1, nil), pool("b", 1, nil)}, []corev1.Namespace{ns("x", nil), ns("y", nil), ns("z", nil)}),
		"pool gone":  configKey([]ironlbv1.IPPool{pool("a", 1, nil)}, []corev1.Namespace{ns("x", nil), ns("y", nil)}),
	} {
		if key == base {
			t.Errorf("key unchanged by %s", name)
		}
	}
}

// BenchmarkConfigKey is what every reconcile paid to find out whether the
// configuration changed, before Sync learnt to skip it when no IPPool or
// Namespace changed.
func BenchmarkConfigKey(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("namespaces=%d", n), func(b *testing.B) {
			pools := []ironlbv1.IPPool{{ObjectMeta: metav1.ObjectMeta{Name: "a", Generation: 1}}}
			nss := make([]corev1.Namespace, n)
			for i := range nss {
				nss[i].Name = fmt.Sprintf("team-%d", i)
				nss[i].Labels = map[string]string{"kubernetes.io/metadata.name": nss[i].Name, "team": "x"}
			}
			b.ReportAllocs()
			for b.Loop() {
				configKey(pools, nss)
			}
		})
	}
}

// lists is a Cache over fixed lists that counts the reads.
type lists struct {
	pools []ironlbv1.IPPool
	nss   []corev1.Namespace
	calls int
}

func pointers[T any](vs []T) []*T {
	out := make([]*T, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out
}

func (l *lists) IPPools() []*ironlbv1.IPPool     { l.calls++; return pointers(slices.Clone(l.pools)) }
func (l *lists) Namespaces() []*corev1.Namespace { l.calls++; return pointers(slices.Clone(l.nss)) }
func (l *lists) Services() []*lbsvc.Service      { return nil }

// TestSyncReadsOnlyWhenInvalidated: after the first Sync, the cache is
// read again only once Invalidate was called, and what it then holds is
// used.
func TestSyncReadsOnlyWhenInvalidated(t *testing.T) {
	r := &lists{pools: []ironlbv1.IPPool{{
		ObjectMeta: metav1.ObjectMeta{Name: "a", Generation: 1},
		Spec:       ironlbv1.IPPoolSpec{Addresses: []ironlbv1.AddressRange{"198.51.100.0/30"}},
	}}}
	s := New(r, func(*lbsvc.Service) (allocator.Request, bool) { return allocator.Request{}, false })
	ctx := t.Context()
	if _, err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	first := r.calls
	r.pools = append(r.pools, ironlbv1.IPPool{
		ObjectMeta: metav1.ObjectMeta{Name: "b", Generation: 1},
		Spec:       ironlbv1.IPPoolSpec{Addresses: []ironlbv1.AddressRange{"203.0.113.0/30"}},
	})
	for range 3 {
		snap, err := s.Sync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r.calls != first || len(snap.Config.Pools) != 1 {
			t.Fatalf("read %d times (want %d), %d pools: Sync read without Invalidate", r.calls, first, len(snap.Config.Pools))
		}
	}
	s.Invalidate()
	snap, err := s.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := snap.Config.Pools["b"]; !ok || !snap.Changed {
		t.Fatalf("pools %v after Invalidate, want b too", slices.Collect(maps.Keys(snap.Config.Pools)))
	}
	if _, err := s.Sync(ctx); err != nil || r.calls != first+2 {
		t.Fatalf("%d reads after Invalidate and two Syncs, want %d (pools and namespaces once)", r.calls-first, 2)
	}
}
