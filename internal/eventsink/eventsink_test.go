package eventsink

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/kube"
	"github.com/ironlb/ironlb/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }

// sent records what a Recorder creates, in order.
type sent struct {
	mu     sync.Mutex
	events []*eventsv1.Event
	got    chan struct{}
}

func (s *sent) CreateEvent(_ context.Context, e *eventsv1.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
	s.got <- struct{}{}
	return nil
}

func service(name string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: name, UID: "uid-" + "name"}}
}

func newRecorder(t *testing.T, c Creator, o Options) *Recorder {
	sch, err := kube.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	o.Controller = "ironlb-test"
	return New(c, sch, logr.Discard(), o)
}

// TestWarningsFirstAndFullQueueDrops queues before the Recorder runs: a
// full queue drops, and Warnings are sent before the Normals queued ahead
// of them.
func TestWarningsFirstAndFullQueueDrops(t *testing.T) {
	s := &sent{got: make(chan struct{}, 10)}
	r := newRecorder(t, s, Options{Queue: 2})
	for _, name := range []string{"n1", "n2", "n3"} {
		r.Eventf(service(name), nil, corev1.EventTypeNormal, "Allocated", "Allocate", "note of %s", name)
	}
	r.Eventf(service("w1"), nil, corev1.EventTypeWarning, "PoolExhausted", "Allocate", "no address")
	if n := r.dropped.Load(); n != 1 {
		t.Fatalf("dropped %d Events, want 1 (n3: the Normal queue holds 2)", n)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- r.Start(ctx) }()
	for range 3 {
		select {
		case <-s.got:
		case <-time.After(10 * time.Second):
			t.Fatal("Events not sent")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, e := range s.events {
		order = append(order, e.Regarding.Name)
	}
	if got := strings.Join(order, ","); got != "w1,n1,n2" {
		t.Errorf("sent %s, want w1,n1,n2", got)
	}
}

// TestDroppedNotRemembered: an Event dropped for a full queue was never
// recorded, so the same Event once there is room is queued, not taken for
// a repeat; and a burst of drops leaves nothing behind to remember.
func TestDroppedNotRemembered(t *testing.T) {
	r := newRecorder(t, &sent{}, Options{Queue: 1})
	rec := func(name string) {
		r.Eventf(service(name), nil, corev1.EventTypeNormal, "Allocated", "Allocate", "assigned")
	}
	rec("a")
	for range 100 {
		rec("b") // dropped: the queue holds a
	}
	if n := len(r.recent); n != 1 {
		t.Errorf("%d Events remembered after 100 drops, want 1 (a)", n)
	}
	if p := <-r.normal; p.regarding.Name != "a" {
		t.Fatalf("queued %s, want a", p.regarding.Name)
	}
	rec("b")
	if len(r.normal) != 1 {
		t.Fatal("b, dropped before, was not queued once there was room")
	}
	if p := <-r.normal; p.regarding.Name != "b" || r.dropped.Load() != 100 {
		t.Errorf("queued %s with %d dropped, want b with 100", p.regarding.Name, r.dropped.Load())
	}
}

// gate lets one Wait through per token put in it.
type gate chan struct{}

func (g gate) Wait(ctx context.Context) error {
	select {
	case <-g:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestEverySendWaitsForTheLimiter: with one token, one Event of two is
// sent; the next token sends the other.
func TestEverySendWaitsForTheLimiter(t *testing.T) {
	s := &sent{got: make(chan struct{}, 10)}
	r := newRecorder(t, s, Options{})
	g := make(gate)
	r.limiter = g
	r.Eventf(service("a"), nil, corev1.EventTypeNormal, "Allocated", "Allocate", "a")
	r.Eventf(service("b"), nil, corev1.EventTypeNormal, "Allocated", "Allocate", "b")
	go func() { _ = r.Start(t.Context()) }()
	g <- struct{}{}
	<-s.got
	// Start must now be waiting for the next token before sending b; if it
	// sent b without one, nobody takes this token.
	select {
	case g <- struct{}{}:
	case <-time.After(10 * time.Second):
		t.Fatal("the second Event was sent without waiting for the limiter")
	}
	<-s.got
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.events) != 2 || s.events[0].Regarding.Name != "a" || s.events[1].Regarding.Name != "b" {
		t.Fatalf("sent %d Events", len(s.events))
	}
}

// TestRecordedOnTheAPIServer checks the Events the apiserver stores: the
// reference, the reporter, a note cut to the apiserver's limit, and the
// namespace "default" for a cluster-scoped object, as client-go does.
func TestRecordedOnTheAPIServer(t *testing.T) {
	ctx := t.Context()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "events-"}}
	if err := env.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), ns) })
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "web"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}},
	}
	pool := &ironlbv1.IPPool{ObjectMeta: metav1.ObjectMeta{GenerateName: "events-"},
		Spec: ironlbv1.IPPoolSpec{Addresses: []ironlbv1.AddressRange{"198.51.100.0/30"}}}
	for _, o := range []client.Object{svc, pool} {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), pool) })

	now := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	kc, err := kube.New(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder(t, kc, Options{Instance: "ironlb-test-1", Clock: clocktesting.NewFakePassiveClock(now)})
	go func() { _ = r.Start(ctx) }()
	long := strings.Repeat("x", 2000)
	r.Eventf(svc, nil, corev1.EventTypeWarning, "IPInUse", "Allocate", "198.51.100.1 is used by %s", long)
	r.Eventf(pool, nil, corev1.EventTypeNormal, "Valid", "Validate", "the pool is used")

	find := func(ns, kind string) *eventsv1.Event {
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			var list eventsv1.EventList
			if err := env.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
				t.Fatal(err)
			}
			for i := range list.Items {
				if e := &list.Items[i]; e.Regarding.Kind == kind && e.ReportingController == "ironlb-test" {
					return e
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("no %s Event in %s", kind, ns)
		return nil
	}
	e := find(ns.Name, "Service")
	if e.Regarding.Name != "web" || e.Regarding.UID != svc.UID || e.Regarding.APIVersion != "v1" {
		t.Errorf("regarding %+v, want the Service web", e.Regarding)
	}
	if e.Type != corev1.EventTypeWarning || e.Reason != "IPInUse" || e.Action != "Allocate" || e.ReportingInstance != "ironlb-test-1" {
		t.Errorf("event %s %s %s from %s", e.Type, e.Reason, e.Action, e.ReportingInstance)
	}
	if len(e.Note) != notesMax || !strings.HasPrefix(e.Note, "198.51.100.1 is used by xxx") || !strings.HasSuffix(e.Note, "...") {
		t.Errorf("note of %d bytes %q..., want cut to %d", len(e.Note), e.Note[:40], notesMax)
	}
	if !e.EventTime.Time.Equal(now) {
		t.Errorf("event time %v, want %v", e.EventTime, now)
	}
	p := find(metav1.NamespaceDefault, "IPPool")
	if p.Regarding.Name != pool.Name || p.Regarding.APIVersion != ironlbv1.GroupVersion.String() || p.Note != "the pool is used" {
		t.Errorf("pool event %+v: %q", p.Regarding, p.Note)
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("a", notesMax-4) + "ééé" // é is 2 bytes; the cut falls inside the first
	tests := []struct{ name, in, want string }{
		{"short", "kept", "kept"},
		{"exactly the limit", strings.Repeat("x", notesMax), strings.Repeat("x", notesMax)},
		{"ASCII", strings.Repeat("x", notesMax+1), strings.Repeat("x", notesMax-3) + "..."},
		{"cut inside a character", long, strings.Repeat("a", notesMax-4) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := truncate(tt.in)
			if got != tt.want || len(got) > notesMax || !utf8.ValidString(got) {
				t.Errorf("truncate = %d bytes %q..., want %d bytes", len(got), got[max(0, len(got)-8):], len(tt.want))
			}
		})
	}
}

// TestRepeatsDropped: the same Event about the same object within Repeat
// is queued once (a reconcile that read a stale cache records its change
// twice); another note, another object or a later time is queued.
func TestRepeatsDropped(t *testing.T) {
	now := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	clk := clocktesting.NewFakePassiveClock(now)
	r := newRecorder(t, &sent{}, Options{Repeat: 10 * time.Second, Clock: clk})
	rec := func(name, note string) {
		r.Eventf(service(name), nil, corev1.EventTypeNormal, "Allocated", "Allocate", "%s", note)
	}
	rec("a", "assigned 198.51.100.16")
	rec("a", "assigned 198.51.100.16") // the repeat
	rec("a", "assigned 198.51.100.17") // another note
	rec("b", "assigned 198.51.100.16") // another object
	clk.SetTime(now.Add(10 * time.Second))
	rec("a", "assigned 198.51.100.16") // after Repeat
	var got []string
	for len(r.normal) > 0 {
		p := <-r.normal
		got = append(got, p.regarding.Name+": "+p.note)
	}
	want := []string{"a: assigned 198.51.100.16", "a: assigned 198.51.100.17", "b: assigned 198.51.100.16", "a: assigned 198.51.100.16"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("queued (-want +got):\n%s", diff)
	}
	// The three of the first period are Repeat old by now and forgotten.
	if n := len(r.recent); n != 1 {
		t.Errorf("%d Events remembered, want 1", n)
	}
	// The one recorded as the others were forgotten is still known.
	clk.SetTime(now.Add(11 * time.Second))
	rec("a", "assigned 198.51.100.16")
	if n := len(r.normal); n != 0 {
		t.Errorf("a repeat of the Event kept through the pruning was queued")
	}
}
