// Package eventsink records Kubernetes Events (events.k8s.io/v1) for
// humans reading `kubectl describe`, without letting them cost what
// matters more.
//
// client-go's recorder keeps a copy of every Event it sent for six minutes,
// to count repeats into a series, and sends as fast as the client allows.
// ironlb records an Event only when something changed; the one repeat it
// makes is a reconcile that read the cache before its own status write
// arrived and records the same change twice within a moment. And in a
// burst (a thousand Services allocated when their pool appears) Events
// compete with the status writes that clients and speakers wait for: on
// two cores an Event costs the apiserver and etcd about half as much as the
// status patch it describes. A Recorder therefore keeps only a hash of
// each Event for Repeat, to drop such repeats, sends at a bounded rate from
// bounded queues, Warnings first, and keeps nothing once sent. When a queue
// is full, the Event is dropped and counted in the log, as client-go does
// when its queue is full.
package eventsink

import (
	"context"
	"fmt"
	"hash/maphash"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/reference"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/utils/clock"
)

// Options of a Recorder.
type Options struct {
	// Controller is the reportingController of the Events, such as
	// "ironlb-controller".
	Controller string
	// Instance is the reportingInstance; empty means Controller-hostname.
	Instance string
	// QPS and Burst bound the Events sent; 0 means 20 per second with
	// bursts of 100.
	QPS   float32
	Burst int
	// Queue is how many Events of each type (Normal, Warning) may wait;
	// 0 means 1024.
	Queue int
	// Repeat is how long an Event identical to one already recorded (same
	// object, type, reason and note) is dropped; 0 means 10 s.
	Repeat time.Duration
	// Clock stamps the Events; nil means the real clock.
	Clock clock.PassiveClock
}

// notesMax is the apiserver's limit on an Event's note, in bytes.
const notesMax = 1024

// Recorder is an EventRecorder. Run it with Start, on every replica,
// leader or not.
type Recorder struct {
	c       Creator
	scheme  *runtime.Scheme
	log     logr.Logger
	opts    Options
	limiter interface{ Wait(context.Context) error }

	warning, normal chan *pending

	dropped atomic.Int64

	mu     sync.Mutex
	seed   maphash.Seed
	recent map[uint64]int64 // hash of a queued Event -> when, in Unix ns
	pruned time.Time        // when recent was last pruned
}

// EventRecorder is what the reconcilers record Events with; client-go's
// events.EventRecorder has the same method, and Recorder is both.
type EventRecorder interface {
	Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any)
}

var _ EventRecorder = (*Recorder)(nil)

// Creator creates Events in the apiserver.
type Creator interface {
	CreateEvent(ctx context.Context, e *eventsv1.Event) error
}

// New returns a Recorder that creates Events with c; scheme names the
// kinds of the objects Events are about.
func New(c Creator, scheme *runtime.Scheme, log logr.Logger, o Options) *Recorder {
	if o.QPS <= 0 || o.Burst < 1 {
		o.QPS, o.Burst = 20, 100
	}
	if o.Queue < 1 {
		o.Queue = 1024
	}
	if o.Instance == "" {
		host, _ := os.Hostname()
		o.Instance = o.Controller + "-" + host
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Repeat <= 0 {
		o.Repeat = 10 * time.Second
	}
	return &Recorder{
		c: c, scheme: scheme, log: log, opts: o,
		limiter: flowcontrol.NewTokenBucketRateLimiter(o.QPS, o.Burst),
		warning: make(chan *pending, o.Queue),
		normal:  make(chan *pending, o.Queue),
		seed:    maphash.MakeSeed(),
		recent:  map[uint64]int64{},
	}
}

// pending is a queued Event, kept small: a full Event is about three
// times its size, and a burst fills the queues.
type pending struct {
	regarding, related              *corev1.ObjectReference
	eventtype, reason, action, note string
	at                              time.Time
}

// Eventf queues an Event about regarding (and related, which may be nil).
// It never blocks: when the queue is full, the Event is dropped.
func (r *Recorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	p := &pending{eventtype: eventtype, reason: reason, action: action, note: fmt.Sprintf(note, args...), at: r.opts.Clock.Now()}
	var err error
	if p.regarding, err = reference.GetReference(r.scheme, regarding); err == nil && related != nil {
		p.related, err = reference.GetReference(r.scheme, related)
	}
	if err != nil {
		r.log.Error(err, "cannot record Event", "reason", reason)
		return
	}
	p.note = truncate(p.note)
	r.offer(p)
}

// offer queues p unless an identical Event was queued less than Repeat
// ago or p's queue is full, and remembers it if queued: an Event dropped
// for a full queue is not one recorded. Entries older than Repeat are
// forgotten once per Repeat period, so at most two periods' Events are
// remembered, a hash and a time each.
func (r *Recorder) offer(p *pending) {
	var h maphash.Hash
	h.SetSeed(r.seed)
	for _, f := range []string{string(p.regarding.UID), p.regarding.Kind, p.regarding.Namespace, p.regarding.Name, p.eventtype, p.reason, p.note} {
		h.WriteString(f)
		h.WriteByte(0)
	}
	key := h.Sum64()
	at := p.at.UnixNano()
	r.mu.Lock()
	defer r.mu.Unlock()
	if last, ok := r.recent[key]; ok && time.Duration(at-last) < r.opts.Repeat {
		return
	}
	if p.at.Sub(r.pruned) >= r.opts.Repeat {
		// Into a new map: a Go map keeps the buckets of its largest
		// size, and a burst of Events would hold them for good.
		kept := make(map[uint64]int64, len(r.recent)/2)
		for k, last := range r.recent {
			if time.Duration(at-last) < r.opts.Repeat {
				kept[k] = last
			}
		}
		r.recent, r.pruned = kept, p.at
	}
	q := r.normal
	if p.eventtype == corev1.EventTypeWarning {
		q = r.warning
	}
	select {
	case q <- p:
		r.recent[key] = at
	default:
		r.dropped.Add(1)
	}
}

// truncate cuts a note to the apiserver's limit, at a character boundary.
func truncate(note string) string {
	if len(note) <= notesMax {
		return note
	}
	cut := notesMax - len("...")
	for cut > 0 && !utf8.RuneStart(note[cut]) {
		cut--
	}
	return note[:cut] + "..."
}

// event builds the Event as client-go's recorder would: in the namespace
// of the object (default for a cluster-scoped one), named after it and the
// time.
func (r *Recorder) event(p *pending) *eventsv1.Event {
	ns := p.regarding.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	return &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s.%x", p.regarding.Name, p.at.UnixNano())},
		EventTime:           metav1.NewMicroTime(p.at),
		ReportingController: r.opts.Controller,
		ReportingInstance:   r.opts.Instance,
		Action:              p.action,
		Reason:              p.reason,
		Regarding:           *p.regarding,
		Related:             p.related,
		Note:                p.note,
		Type:                p.eventtype,
	}
}

// Start sends queued Events until ctx ends.
func (r *Recorder) Start(ctx context.Context) error {
	report := time.NewTicker(time.Minute)
	defer report.Stop()
	for {
		if err := r.limiter.Wait(ctx); err != nil {
			return nil // ctx ended
		}
		var e *pending
		select {
		case e = <-r.warning:
		default:
			select {
			case e = <-r.warning:
			case e = <-r.normal:
			case <-report.C:
				r.reportDropped()
				continue
			case <-ctx.Done():
				return nil
			}
		}
		r.send(ctx, r.event(e))
		select {
		case <-report.C:
			r.reportDropped()
		default:
		}
	}
}

// send creates e, trying again twice on errors other than "exists".
func (r *Recorder) send(ctx context.Context, e *eventsv1.Event) {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
			}
		}
		err = r.c.CreateEvent(ctx, e)
		if err == nil || apierrors.IsAlreadyExists(err) || ctx.Err() != nil {
			return
		}
	}
	r.log.Error(err, "cannot record Event", "regarding", e.Regarding.Kind+" "+e.Regarding.Namespace+"/"+e.Regarding.Name, "reason", e.Reason)
}

// reportDropped logs how many Events were dropped since the last report.
func (r *Recorder) reportDropped() {
	if n := r.dropped.Swap(0); n > 0 {
		r.log.Info("dropped Events: the queue was full", "events", n)
	}
}
