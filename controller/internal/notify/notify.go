// Package notify turns many "this object needs another look" signals into few
// reconcile requests: keys are collected in a set, and a runner hands them to
// a reconciler's queue at most once per interval. Bursts (a thousand
// allocations in a second) thus cost one status write per object, not one
// per change, and nothing is lost: a key added during a flush is sent by the
// next one.
package notify

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
)

// Notifier collects object keys and delivers them on a channel.
type Notifier struct {
	interval time.Duration
	clock    clock.Clock
	events   chan types.NamespacedName
	kick     chan struct{}

	mu   sync.Mutex
	keys map[types.NamespacedName]struct{}
}

// New returns a notifier that flushes at most once per interval.
func New(interval time.Duration, clk clock.Clock) *Notifier {
	return &Notifier{
		interval: interval,
		clock:    clk,
		events:   make(chan types.NamespacedName, 1024),
		kick:     make(chan struct{}, 1),
		keys:     map[types.NamespacedName]struct{}{},
	}
}

// Events delivers the keys.
func (n *Notifier) Events() <-chan types.NamespacedName { return n.events }

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

// Start delivers the collected keys until ctx ends.
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
			select {
			case n.events <- k:
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
