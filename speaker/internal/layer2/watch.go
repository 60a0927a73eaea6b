package layer2

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"sync"

	"github.com/go-logr/logr"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"k8s.io/utils/clock"
)

// Watcher keeps the list of links and their addresses, for Select and for
// the speaker's published links.
type Watcher struct {
	log     logr.Logger
	clock   clock.Clock
	changes chan struct{}

	mu    sync.Mutex
	links []Link
}

// NewWatcher returns a Watcher. It starts nothing.
func NewWatcher(log logr.Logger) *Watcher {
	return &Watcher{log: log, clock: clock.RealClock{}, changes: make(chan struct{}, 1)}
}

// Links returns the links as of the last change, sorted by name.
func (w *Watcher) Links() []Link {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.links)
}

// Changes receives a value after any change to Links. It holds at most
// one: a reader that was away sees one value and rereads Links.
func (w *Watcher) Changes() <-chan struct{} { return w.changes }

// Run watches the links of the network namespace of the calling thread
// until ctx ends. Every link or address event leads to a full relist, and
// a failed subscription is replaced by a new one with a relist, so a lost
// event cannot leave the list stale.
func (w *Watcher) Run(ctx context.Context) error {
	ns, err := netns.Get()
	if err != nil {
		return fmt.Errorf("get the network namespace: %w", err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("open netlink: %w", err)
	}
	defer h.Close()

	var links *subscription[netlink.LinkUpdate]
	var addrs *subscription[netlink.AddrUpdate]
	unsubscribe := func() {
		if links != nil {
			links.stop()
			links = nil
		}
		if addrs != nil {
			addrs.stop()
			addrs = nil
		}
	}
	defer unsubscribe()
	retry := retrier{clock: w.clock}
	defer retry.stop()
	for {
		ok := true
		if links == nil || addrs == nil {
			unsubscribe()
			if links, err = subscribeLinks(ns); err == nil {
				addrs, err = subscribeAddrs(ns)
			}
			if err != nil {
				w.log.Error(err, "Subscribing to link and address changes failed")
				unsubscribe()
				ok = false
			}
		}
		if err := w.relist(h); err != nil {
			w.log.Error(err, "Listing links failed")
			ok = false
		}
		retryC := retry.after(ok)

		var linkCh <-chan netlink.LinkUpdate
		var addrCh <-chan netlink.AddrUpdate
		var linkErrs, addrErrs <-chan error
		if links != nil {
			linkCh, linkErrs, addrCh, addrErrs = links.ch, links.errs, addrs.ch, addrs.errs
		}
		select {
		case <-ctx.Done():
			return nil
		case <-retryC:
		case _, open := <-linkCh:
			if !open || !links.drain() {
				unsubscribe()
			}
		case _, open := <-addrCh:
			if !open || !addrs.drain() {
				unsubscribe()
			}
		case err := <-linkErrs:
			w.log.Info("Link subscription failed; subscribing again", "error", err.Error())
			unsubscribe()
		case err := <-addrErrs:
			w.log.Info("Address subscription failed; subscribing again", "error", err.Error())
			unsubscribe()
		}
	}
}

func (w *Watcher) relist(h *netlink.Handle) error {
	nls, err := h.LinkList()
	if err != nil {
		return err
	}
	addrs, err := h.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return err
	}
	links := toLinks(nls, addrs)
	w.mu.Lock()
	changed := !reflect.DeepEqual(links, w.links)
	w.links = links
	w.mu.Unlock()
	if changed {
		poke(w.changes)
	}
	return nil
}

// toLinks turns netlink's view into Links, sorted, with sorted prefixes.
func toLinks(nls []netlink.Link, addrs []netlink.Addr) []Link {
	prefixes := map[int][]netip.Prefix{}
	for _, a := range addrs {
		if a.IPNet == nil {
			continue
		}
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ones, _ := a.Mask.Size()
		prefixes[a.LinkIndex] = append(prefixes[a.LinkIndex], netip.PrefixFrom(ip.Unmap(), ones))
	}
	links := make([]Link, 0, len(nls))
	for _, nl := range nls {
		at := nl.Attrs()
		ps := prefixes[at.Index]
		slices.SortFunc(ps, func(a, b netip.Prefix) int {
			return cmp.Or(a.Addr().Compare(b.Addr()), cmp.Compare(a.Bits(), b.Bits()))
		})
		links = append(links, Link{
			Name:     at.Name,
			Index:    at.Index,
			Up:       isUp(at.Flags),
			Loopback: at.Flags&net.FlagLoopback != 0,
			Enslaved: at.MasterIndex != 0,
			Kind:     nl.Type(),
			MAC:      slices.Clone(at.HardwareAddr),
			Prefixes: ps,
		})
	}
	slices.SortFunc(links, func(a, b Link) int { return cmp.Compare(a.Name, b.Name) })
	return links
}
