package kube

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
)

// Reconcile brings one object (or, with an empty key, a whole pass) to its
// desired state. A positive after asks for another call that much later;
// an error asks for one with backoff.
type Reconcile func(ctx context.Context, key types.NamespacedName) (after time.Duration, err error)

// Queue holds the keys waiting to be reconciled; a key queued several times
// before a worker takes it is reconciled once, and one key is never
// reconciled by two workers at once.
type Queue struct {
	name      string
	workers   int
	reconcile Reconcile
	log       logr.Logger
	metrics   *Metrics
	q         workqueue.TypedRateLimitingInterface[types.NamespacedName]
}

// NewQueue returns a queue named name (for logs and metrics) that runs
// fn in workers goroutines once Run is called. Keys may be added before.
func NewQueue(name string, workers int, fn Reconcile, log logr.Logger, m *Metrics) *Queue {
	// client-go's delaying and rate-limiting layers over a base of our
	// own, which gives memory back after a burst (keyQueue). The delaying
	// layer counts retries.
	dcfg := workqueue.TypedDelayingQueueConfig[types.NamespacedName]{Name: name, Queue: newKeyQueue(name, m, time.Now)}
	if m != nil {
		dcfg.MetricsProvider = m.queues
	}
	delaying := workqueue.NewTypedDelayingQueueWithConfig(dcfg)
	return &Queue{
		name: name, workers: max(workers, 1), reconcile: fn, log: log.WithValues("controller", name), metrics: m,
		q: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[types.NamespacedName](),
			workqueue.TypedRateLimitingQueueConfig[types.NamespacedName]{Name: name, DelayingQueue: delaying}),
	}
}

// Add queues keys.
func (q *Queue) Add(keys ...types.NamespacedName) {
	for _, k := range keys {
		q.q.Add(k)
	}
}

// AddFrom queues the keys received from ch until ctx ends; run it in its
// own goroutine.
func (q *Queue) AddFrom(ctx context.Context, ch <-chan types.NamespacedName) {
	for {
		select {
		case <-ctx.Done():
			return
		case k := <-ch:
			q.Add(k)
		}
	}
}

// Run reconciles queued keys until ctx ends, then waits for the workers.
func (q *Queue) Run(ctx context.Context) {
	go func() {
		<-ctx.Done()
		q.q.ShutDown()
	}()
	var wg sync.WaitGroup
	for range q.workers {
		wg.Go(func() {
			for q.next(ctx) {
			}
		})
	}
	wg.Wait()
}

func (q *Queue) next(ctx context.Context) bool {
	key, quit := q.q.Get()
	if quit {
		return false
	}
	defer q.q.Done(key)
	start := time.Now()
	after, err := q.call(ctx, key)
	result := "success"
	switch {
	case ctx.Err() != nil:
		return false
	case err != nil:
		result = "error"
		q.q.AddRateLimited(key)
		q.log.Error(err, "reconcile failed; trying again", "key", key.String())
	case after > 0:
		result = "requeue_after"
		q.q.Forget(key)
		q.q.AddAfter(key, after)
	default:
		q.q.Forget(key)
	}
	q.metrics.reconciled(q.name, result, time.Since(start))
	return true
}

// call runs the reconcile function, turning a panic into an error: one bad
// object must not stop the controller.
func (q *Queue) call(ctx context.Context, key types.NamespacedName) (after time.Duration, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return q.reconcile(ctx, key)
}
