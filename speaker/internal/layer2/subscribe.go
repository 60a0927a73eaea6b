package layer2

import (
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// subscription is one netlink subscription. Netlink drops events when the
// reader falls behind (ENOBUFS): the owner then stops it, subscribes again
// and relists, which is why every consumer here rereads the whole state on
// any event.
type subscription[T any] struct {
	ch   chan T
	done chan struct{}
	errs chan error
}

type startFunc[T any] func(ch chan<- T, done <-chan struct{}, onErr func(error)) error

func subscribe[T any](start startFunc[T]) (*subscription[T], error) {
	s := &subscription[T]{ch: make(chan T, 64), done: make(chan struct{}), errs: make(chan error, 1)}
	onErr := func(err error) {
		select {
		case s.errs <- err:
		default:
		}
	}
	if err := start(s.ch, s.done, onErr); err != nil {
		close(s.done) // releases netlink's closer goroutine, if it started one
		return nil, err
	}
	return s, nil
}

// stop closes the socket and waits for netlink's reader goroutine, which
// closes ch when it returns; draining ch unblocks it if it was sending.
func (s *subscription[T]) stop() {
	close(s.done)
	for range s.ch {
	}
}

// drain discards the events already queued, since one relist covers them
// all. It reports false if the subscription ended.
func (s *subscription[T]) drain() bool {
	for {
		select {
		case _, ok := <-s.ch:
			if !ok {
				return false
			}
		default:
			return true
		}
	}
}

func subscribeLinks(ns netns.NsHandle) (*subscription[netlink.LinkUpdate], error) {
	return subscribe(func(ch chan<- netlink.LinkUpdate, done <-chan struct{}, onErr func(error)) error {
		return netlink.LinkSubscribeWithOptions(ch, done, netlink.LinkSubscribeOptions{Namespace: &ns, ErrorCallback: onErr})
	})
}

func subscribeAddrs(ns netns.NsHandle) (*subscription[netlink.AddrUpdate], error) {
	return subscribe(func(ch chan<- netlink.AddrUpdate, done <-chan struct{}, onErr func(error)) error {
		return netlink.AddrSubscribeWithOptions(ch, done, netlink.AddrSubscribeOptions{Namespace: &ns, ErrorCallback: onErr})
	})
}
