package kube

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ironlb/ironlb/internal/metricstest"
)

func key(i int) types.NamespacedName {
	return types.NamespacedName{Namespace: "ns", Name: fmt.Sprint("svc-", i)}
}

// TestKeyQueueOnce: a key waits once however often it is added, keys come
// out in the order they came, and a key added while a worker has it is
// handed out again only after Done.
func TestKeyQueueOnce(t *testing.T) {
	q := newKeyQueue("t", nil, time.Now)
	a, b := key(1), key(2)
	q.Add(a)
	q.Add(b)
	q.Add(a)
	if n := q.Len(); n != 2 {
		t.Fatalf("Len %d after adding a, b, a; want 2", n)
	}
	if k, _ := q.Get(); k != a {
		t.Fatalf("first Get %v, want %v", k, a)
	}
	q.Add(a) // while a worker has it
	if n := q.Len(); n != 1 {
		t.Fatalf("Len %d with a taken and added again; want 1 (b only)", n)
	}
	if k, _ := q.Get(); k != b {
		t.Fatalf("second Get %v, want %v", k, b)
	}
	q.Done(b)
	q.Done(a)
	if n := q.Len(); n != 1 {
		t.Fatalf("Len %d after Done(a); want 1: a was added while taken", n)
	}
	if k, _ := q.Get(); k != a {
		t.Fatalf("third Get %v, want %v", k, a)
	}
	q.Done(a)
	if n := q.Len(); n != 0 {
		t.Fatalf("Len %d at the end, want 0", n)
	}
}

// TestKeyQueueGivesMemoryBack: after a burst has drained, the sets and the
// key list are new and empty, not the size of the burst; while a burst is
// being taken, the list holds no more than it must.
func TestKeyQueueGivesMemoryBack(t *testing.T) {
	q := newKeyQueue("t", nil, time.Now)
	const n = 1000
	for i := range n {
		q.Add(key(i))
	}
	for i := range 600 {
		k, _ := q.Get()
		if k != key(i) {
			t.Fatalf("Get %d: %v, want %v", i, k, key(i))
		}
		q.Done(k)
	}
	q.mu.Lock()
	waiting, head := len(q.fifo)-q.head, q.head
	q.mu.Unlock()
	if waiting != 400 || head > shrinkAbove {
		t.Fatalf("after 600 of %d: %d waiting with %d taken keys still in the list; want 400 and at most %d", n, waiting, head, shrinkAbove)
	}
	for range 400 {
		k, _ := q.Get()
		q.Done(k)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	// (The keys being worked on never numbered more than one here: that
	// set stays small, and is kept.)
	if q.dirty.m != nil || q.fifo != nil || len(q.processing.m) != 0 {
		t.Errorf("after the burst: dirty %d keys (nil %v), list cap %d, processing %d; want the set and list dropped, none processing",
			len(q.dirty.m), q.dirty.m == nil, cap(q.fifo), len(q.processing.m))
	}
	// Small sets are kept for reuse.
	q.mu.Unlock()
	q.Add(key(1))
	k, _ := q.Get()
	q.Done(k)
	q.mu.Lock()
	if q.dirty.m == nil || q.processing.m == nil {
		t.Errorf("a set of one key was dropped; small sets are kept")
	}
}

// TestKeyQueueShutDown: Get hands out what waits, then reports shutdown;
// Add is ignored; ShutDownWithDrain waits for the keys being worked on.
func TestKeyQueueShutDown(t *testing.T) {
	q := newKeyQueue("t", nil, time.Now)
	q.Add(key(1))
	q.Add(key(2))
	taken, _ := q.Get()
	drained := make(chan struct{})
	go func() { q.ShutDownWithDrain(); close(drained) }()
	for !q.ShuttingDown() {
		time.Sleep(time.Millisecond)
	}
	q.Add(key(3))
	if k, shutdown := q.Get(); shutdown || k != key(2) {
		t.Fatalf("Get after shutdown: %v, %v; want %v, false", k, shutdown, key(2))
	}
	q.Done(key(2))
	if _, shutdown := q.Get(); !shutdown {
		t.Fatal("Get with nothing left after shutdown: no shutdown")
	}
	select {
	case <-drained:
		t.Fatal("ShutDownWithDrain returned while a key was still being worked on")
	case <-time.After(50 * time.Millisecond):
	}
	q.Done(taken)
	<-drained
}

// TestKeyQueueShutDownEndsDrain: ShutDown ends a ShutDownWithDrain that
// waits for a key still being worked on, as client-go's queue does.
func TestKeyQueueShutDownEndsDrain(t *testing.T) {
	q := newKeyQueue("t", nil, time.Now)
	q.Add(key(1))
	q.Get() // and never Done
	drained := make(chan struct{})
	go func() { q.ShutDownWithDrain(); close(drained) }()
	for !q.ShuttingDown() {
		time.Sleep(time.Millisecond)
	}
	q.ShutDown()
	select {
	case <-drained:
	case <-time.After(10 * time.Second):
		t.Fatal("ShutDownWithDrain still waiting after ShutDown")
	}
}

// TestKeyQueueMetrics: depth, adds, time waited and worked, and the work
// in progress, on a clock the test moves.
func TestKeyQueueMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	svcLabel := map[string]string{"name": "svc"}
	now := time.Unix(1000, 0)
	q := newKeyQueue("svc", m, func() time.Time { return now })
	defer q.ShutDown()
	q.Add(key(1))
	q.Add(key(1))
	q.Add(key(2))
	if d := metricstest.Value(t, reg, "workqueue_depth", svcLabel); d != 2 {
		t.Errorf("depth %v, want 2", d)
	}
	if a := metricstest.Value(t, reg, "workqueue_adds_total", svcLabel); a != 2 {
		t.Errorf("adds %v, want 2 (the second add of a waiting key is not one)", a)
	}
	now = now.Add(3 * time.Second)
	k, _ := q.Get()
	now = now.Add(5 * time.Second)
	q.updateUnfinished()
	if u := metricstest.Value(t, reg, "workqueue_unfinished_work_seconds", svcLabel); u != 5 {
		t.Errorf("unfinished work %v s, want 5", u)
	}
	if l := metricstest.Value(t, reg, "workqueue_longest_running_processor_seconds", svcLabel); l != 5 {
		t.Errorf("longest running %v s, want 5", l)
	}
	q.Done(k)
	if d := metricstest.Value(t, reg, "workqueue_depth", svcLabel); d != 1 {
		t.Errorf("depth %v after one Get, want 1", d)
	}
	waited := metricstest.Histogram(t, reg, "workqueue_queue_duration_seconds", svcLabel)
	worked := metricstest.Histogram(t, reg, "workqueue_work_duration_seconds", svcLabel)
	if waited.GetSampleCount() != 1 || waited.GetSampleSum() != 3 || worked.GetSampleCount() != 1 || worked.GetSampleSum() != 5 {
		t.Errorf("waited %d samples, %v s; worked %d, %v s; want 1 of 3 s and 1 of 5 s",
			waited.GetSampleCount(), waited.GetSampleSum(), worked.GetSampleCount(), worked.GetSampleSum())
	}
}

// TestKeyQueueConcurrent: with adders and workers racing, no key is ever
// with two workers at once, and every key added is worked on after its
// last add.
func TestKeyQueueConcurrent(t *testing.T) {
	q := newKeyQueue("t", nil, time.Now)
	const keys, adds = 50, 20000
	var (
		held      [keys]atomic.Bool
		lastAdd   [keys]atomic.Int64 // sequence number of the key's last add
		lastStart [keys]atomic.Int64 // sequence number seen when a worker took it
		seq       atomic.Int64
		workers   sync.WaitGroup
	)
	index := func(k types.NamespacedName) int {
		var i int
		_, _ = fmt.Sscanf(k.Name, "svc-%d", &i)
		return i
	}
	for range 4 {
		workers.Go(func() {
			for {
				k, shutdown := q.Get()
				if shutdown {
					return
				}
				i := index(k)
				if !held[i].CompareAndSwap(false, true) {
					t.Errorf("%v handed to two workers at once", k)
				}
				lastStart[i].Store(seq.Load())
				held[i].Store(false)
				q.Done(k)
			}
		})
	}
	var adders sync.WaitGroup
	for a := range 4 {
		adders.Go(func() {
			for j := range adds / 4 {
				i := (j*7 + a) % keys
				lastAdd[i].Store(seq.Add(1))
				q.Add(key(i))
			}
		})
	}
	adders.Wait()
	q.ShutDownWithDrain()
	workers.Wait()
	for i := range keys {
		if lastStart[i].Load() < lastAdd[i].Load() {
			t.Errorf("%v last added at %d, last worked on at %d: an add was lost", key(i), lastAdd[i].Load(), lastStart[i].Load())
		}
	}
}
