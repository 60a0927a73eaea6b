package layer2

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"k8s.io/utils/clock"
)

// Retries of what failed (opening sockets, a reader, a netlink
// subscription) back off from minRetry to maxRetry.
const (
	minRetry = time.Second
	maxRetry = time.Minute
)

// retrier keeps one clock timer that fires after a doubling delay while
// something keeps failing.
type retrier struct {
	clock clock.Clock
	delay time.Duration
	t     clock.Timer
}

// after stops the previous timer and, if the pass failed, starts the next
// one and returns its channel; nil (never ready) when the pass succeeded.
func (r *retrier) after(ok bool) <-chan time.Time {
	r.stop()
	if ok {
		r.delay = 0
		return nil
	}
	r.delay = min(max(2*r.delay, minRetry), maxRetry)
	r.t = r.clock.NewTimer(r.delay)
	return r.t.C()
}

func (r *retrier) stop() {
	if r.t != nil {
		r.t.Stop()
		r.t = nil
	}
}

// Run opens and closes sockets as Apply and the links require, answers
// requests and sends bursts, until ctx ends; it then closes every socket
// and returns once every goroutine it started has ended. It must be called
// once, on a goroutine whose thread is in the network namespace to serve.
//
// Run watches links itself: a link that goes down, loses its carrier,
// disappears or changes MAC is closed at once, and reopened (with a new
// burst for its IPs, since neighbours and switches may have forgotten us)
// when it is back.
func (a *Announcer) Run(ctx context.Context) error {
	if !a.running.CompareAndSwap(false, true) {
		return errors.New("layer2: Announcer.Run called twice")
	}
	ns, err := netns.Get()
	if err != nil {
		return fmt.Errorf("get the network namespace: %w", err)
	}
	defer ns.Close()
	sub, err := subscribeLinks(ns)
	if err != nil {
		return fmt.Errorf("subscribe to link changes: %w", err)
	}

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { a.sendLoop(ctx) })
	defer func() {
		cancel()
		if sub != nil {
			sub.stop()
		}
		a.closeAll()
		wg.Wait()
		a.readers.Wait()
	}()

	retry := retrier{clock: a.clock}
	defer retry.stop()
	for {
		// Subscribe before relisting, so that no change falls between.
		subscribed := true
		if sub == nil {
			if sub, err = subscribeLinks(ns); err != nil {
				a.log.Error(err, "Subscribing to link changes failed")
				subscribed = false
			}
		}
		retryC := retry.after(a.reconcile() && subscribed)
		var events <-chan netlink.LinkUpdate
		var subErrs <-chan error
		if sub != nil {
			events, subErrs = sub.ch, sub.errs
		}
		select {
		case <-ctx.Done():
			return nil
		case <-a.changed:
		case <-a.broken:
		case <-retryC:
		case _, open := <-events:
			if !open || !sub.drain() {
				sub.stop()
				sub = nil
			}
		case err := <-subErrs:
			// Events may have been lost (ENOBUFS, say): subscribe
			// again; the reconcile that follows relists everything.
			a.log.Info("Link subscription failed; subscribing again", "error", err.Error())
			sub.stop()
			sub = nil
		}
	}
}

// reconcile closes the links that are not wanted, not up or failed, and
// opens the wanted links that are up. It reports false when something
// failed that is worth retrying.
func (a *Announcer) reconcile() bool {
	ifis, err := net.Interfaces()
	if err != nil {
		a.log.Error(err, "Listing interfaces failed")
		return false
	}
	byName := map[string]*net.Interface{}
	for i := range ifis {
		byName[ifis[i].Name] = &ifis[i]
	}

	ok := true
	a.mu.Lock()
	var stale []*link
	for name, l := range a.links {
		ifi := byName[name]
		_, wanted := a.desired[name]
		if !wanted || !usable(ifi) || ifi.Index != l.index ||
			!bytes.Equal(ifi.HardwareAddr, l.mac) || l.failed.Load() {
			stale = append(stale, l)
			a.dropLocked(l)
		}
	}
	var missing []string
	for name := range a.desired {
		if a.links[name] == nil {
			missing = append(missing, name)
		}
	}
	a.mu.Unlock()

	failed := map[string]bool{}
	for _, l := range stale {
		l.close()
		a.log.V(1).Info("Stopped answering on interface", "interface", l.name)
		if l.failed.Load() {
			failed[l.name] = true // reopened on the retry, not in a loop here
			ok = false
		}
	}
	for _, name := range missing {
		ifi := byName[name]
		if failed[name] || !usable(ifi) {
			continue // link events tell us when it is usable
		}
		l, err := openLink(ifi)
		if err != nil {
			a.fail(name, "Opening sockets failed", err)
			ok = false
			continue
		}
		a.mu.Lock()
		if _, wanted := a.desired[name]; !wanted {
			a.mu.Unlock()
			l.close()
			continue
		}
		a.links[name] = l
		a.syncLocked(l)
		a.mu.Unlock()
		a.serve(l)
		a.log.V(1).Info("Answering on interface", "interface", name)
	}
	return ok
}

// dropLocked forgets l: no more answers, no more bursts. The caller closes
// it after releasing the lock.
func (a *Announcer) dropLocked(l *link) {
	delete(a.links, l.name)
	for ip := range *l.answer.Load() {
		a.sched.cancel(pair{ip: ip, ifname: l.name})
	}
	l.answer.Store(&addrSet{})
}

func (a *Announcer) closeAll() {
	a.mu.Lock()
	var all []*link
	for _, l := range a.links {
		all = append(all, l)
		a.dropLocked(l)
	}
	a.mu.Unlock()
	for _, l := range all {
		l.close()
	}
}

// isUp is IFF_UP and IFF_RUNNING: administratively up, with carrier.
func isUp(f net.Flags) bool {
	return f&net.FlagUp != 0 && f&net.FlagRunning != 0
}

// usable reports whether ifi exists, is up, and has neighbours that ARP
// and NDP can reach: an Ethernet address and no loopback. Status shows
// the caller which named interfaces are not.
func usable(ifi *net.Interface) bool {
	return ifi != nil && isUp(ifi.Flags) && ifi.Flags&net.FlagLoopback == 0 && len(ifi.HardwareAddr) == 6
}
