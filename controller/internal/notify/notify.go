// Package notify turns many "this object needs another look" signals into few
// reconcile requests: keys are collected in a set, and a runner hands them to
// a controller's channel source at most once per interval. Bursts (a thousand
// allocations in a second) thus cost one status write per object, not one
// per change, and nothing is lost: a key added during a flush is sent by the
// next one.
package notify

import (
	"context"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

// Notifier collects object keys and delivers them as generic events.
type Notifier struct {
	interval time.Duration
	clock    clock.Clock
	events   chan event.GenericEvent
	kick     chan struct{}

	mu   sync.Mutex
	keys map[types.NamespacedName]struct{}
}

// New returns a notifier that flushes at most once per interval.
func New(interval time.Duration, clk clock.Clock) *Notifier {
	return &Notifier{
		interval: interval,
		clock:    clk,
		events:   make(chan event.GenericEvent, 1024),
		kick:     make(chan struct{}, 1),
		keys:     map[types.NamespacedName]struct{}{},
	}
}

// Events is the channel to wire into source.Channel.
func (n *Notifier) Events() <-chan event.GenericEvent { return n.events }

// Add asks for the objects to be reconciled soon.
func (n *Notifier) Add(keys ...types.NamespacedName) {
	if len(keys) == 0 {
		return
	}
	n.mu.Lock()
	for _, k := range keys {
		n.keys[k] = struct{}{}
	}
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default: // a flush is already due
	}
}

// Start delivers the collected keys until ctx ends. It implements
// manager.Runnable.
func (n *Notifier) Start(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-n.kick:
		}
		n.mu.Lock()
		keys := n.keys
		n.keys = map[types.NamespacedName]struct{}{}
		n.mu.Unlock()
		for k := range keys {
			obj := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: k.Name, Namespace: k.Namespace}}
			select {
			case n.events <- event.GenericEvent{Object: client.Object(obj)}:
			case <-ctx.Done():
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-n.clock.After(n.interval):
		}
	}
}

// NeedLeaderElection: only the leader reconciles, so only it needs events.
func (n *Notifier) NeedLeaderElection() bool { return true }
