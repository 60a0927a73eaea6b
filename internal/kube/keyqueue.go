package kube

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
)

// keyQueue is the base of a Queue: the keys waiting, in order, each once,
// and the keys being reconciled. It does what client-go's base queue does
// (client-go's delaying and rate-limiting layers wrap it), and differs in
// memory: Go maps never give back their buckets, so after a burst of
// 10,000 keys client-go's sets and latency maps keep holding about 2 MB
// for good. keyQueue keeps each key's times in its two sets, and starts
// a set afresh once a burst has drained.
type keyQueue struct {
	mu   sync.Mutex
	cond *sync.Cond

	// fifo[head:] are the keys waiting, in the order they came.
	fifo []types.NamespacedName
	head int
	// dirty holds the keys waiting or to be reconciled again once Done,
	// with the time each was added; processing holds the keys a worker
	// has, with the time it took each. Times are since epoch: 8 bytes a
	// key, not a time.Time's 24.
	dirty, processing timedSet

	shuttingDown, drain bool
	stop                chan struct{}

	now     func() time.Time
	epoch   time.Time
	metrics *queueSeries
}

// shrinkAbove is the size from which an emptied set, or the key list, is
// replaced by a new one: below it, reusing the old one saves allocations
// and costs next to nothing.
const shrinkAbove = 256

// timedSet is a set of keys, each with a time, that gives its memory
// back once it empties after holding more than shrinkAbove keys.
type timedSet struct {
	m    map[types.NamespacedName]time.Duration
	peak int
}

func (s *timedSet) has(k types.NamespacedName) bool { _, ok := s.m[k]; return ok }

func (s *timedSet) put(k types.NamespacedName, t time.Duration) {
	if s.m == nil {
		s.m = map[types.NamespacedName]time.Duration{}
	}
	s.m[k] = t
	s.peak = max(s.peak, len(s.m))
}

// take removes k and returns its time.
func (s *timedSet) take(k types.NamespacedName) (time.Duration, bool) {
	t, ok := s.m[k]
	if !ok {
		return 0, false
	}
	delete(s.m, k)
	if len(s.m) == 0 && s.peak > shrinkAbove {
		s.m, s.peak = nil, 0
	}
	return t, true
}

// queueSeries are one queue's metric series.
type queueSeries struct {
	depth               workqueue.GaugeMetric
	adds                workqueue.CounterMetric
	latency, work       workqueue.HistogramMetric
	unfinished, longest workqueue.SettableGaugeMetric
}

func newKeyQueue(name string, m *Metrics, now func() time.Time) *keyQueue {
	q := &keyQueue{now: now, epoch: now(), stop: make(chan struct{})}
	q.cond = sync.NewCond(&q.mu)
	if m != nil {
		p := m.queues
		q.metrics = &queueSeries{
			depth: p.NewDepthMetric(name), adds: p.NewAddsMetric(name),
			latency: p.NewLatencyMetric(name), work: p.NewWorkDurationMetric(name),
			unfinished: p.NewUnfinishedWorkSecondsMetric(name), longest: p.NewLongestRunningProcessorSecondsMetric(name),
		}
		go q.reportUnfinished(500 * time.Millisecond)
	}
	return q
}

var _ workqueue.TypedInterface[types.NamespacedName] = (*keyQueue)(nil)

// Add queues k, unless it is queued already; a key being reconciled is
// queued again once Done.
func (q *keyQueue) Add(k types.NamespacedName) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.shuttingDown || q.dirty.has(k) {
		return
	}
	q.dirty.put(k, q.since())
	if q.metrics != nil {
		q.metrics.adds.Inc()
	}
	if q.processing.has(k) {
		return
	}
	q.push(k)
}

// since is the time since the queue began, on its clock.
func (q *keyQueue) since() time.Duration { return q.now().Sub(q.epoch) }

func (q *keyQueue) push(k types.NamespacedName) {
	q.fifo = append(q.fifo, k)
	if q.metrics != nil {
		q.metrics.depth.Inc()
	}
	q.cond.Signal()
}

// Len is the number of keys waiting.
func (q *keyQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.fifo) - q.head
}

// Get waits for a key and hands it to the caller, who must call Done with
// it. shutdown is true once the queue shuts down and no key is left.
func (q *keyQueue) Get() (k types.NamespacedName, shutdown bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head == len(q.fifo) && !q.shuttingDown {
		q.cond.Wait()
	}
	if q.head == len(q.fifo) {
		return types.NamespacedName{}, true
	}
	k = q.fifo[q.head]
	q.fifo[q.head] = types.NamespacedName{}
	q.head++
	switch {
	case q.head == len(q.fifo) && cap(q.fifo) > shrinkAbove:
		q.fifo, q.head = nil, 0
	case q.head == len(q.fifo):
		q.fifo, q.head = q.fifo[:0], 0
	case q.head > shrinkAbove && q.head > len(q.fifo)/2:
		// More than half the list is taken: move the rest down, so
		// that a long-running burst does not hold every key it ever had.
		n := copy(q.fifo, q.fifo[q.head:])
		clear(q.fifo[n:])
		q.fifo, q.head = q.fifo[:n], 0
	}
	now := q.since()
	added, _ := q.dirty.take(k)
	q.processing.put(k, now)
	if q.metrics != nil {
		q.metrics.depth.Dec()
		q.metrics.latency.Observe((now - added).Seconds())
	}
	return k, false
}

// Done ends the work on k; if k was added meanwhile, it is queued again.
func (q *keyQueue) Done(k types.NamespacedName) {
	q.mu.Lock()
	defer q.mu.Unlock()
	started, ok := q.processing.take(k)
	if ok && q.metrics != nil {
		q.metrics.work.Observe((q.since() - started).Seconds())
	}
	if q.dirty.has(k) {
		q.push(k)
	} else if len(q.processing.m) == 0 {
		q.cond.Broadcast() // for ShutDownWithDrain
	}
}

// ShutDown makes Get return shutdown once the keys waiting are taken, and
// Add ignore new keys. A ShutDownWithDrain waiting stops waiting.
func (q *keyQueue) ShutDown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.drain = false // a ShutDownWithDrain waiting returns
	q.shutDown()
}

func (q *keyQueue) shutDown() {
	if !q.shuttingDown {
		close(q.stop)
	}
	q.shuttingDown = true
	q.cond.Broadcast()
}

// ShutDownWithDrain shuts down, then waits until every key taken is Done.
func (q *keyQueue) ShutDownWithDrain() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.drain = true
	q.shutDown()
	for len(q.processing.m) > 0 && q.drain {
		q.cond.Wait()
	}
}

// ShuttingDown reports whether ShutDown was called.
func (q *keyQueue) ShuttingDown() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.shuttingDown
}

// reportUnfinished sets the gauges of work in progress every interval:
// the seconds of all of it, and of the longest.
func (q *keyQueue) reportUnfinished(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-q.stop:
			return
		case <-t.C:
			q.updateUnfinished()
		}
	}
}

func (q *keyQueue) updateUnfinished() {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.since()
	var total, longest float64
	for _, started := range q.processing.m {
		s := (now - started).Seconds()
		total += s
		longest = max(longest, s)
	}
	q.metrics.unfinished.Set(total)
	q.metrics.longest.Set(longest)
}
