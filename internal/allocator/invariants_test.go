package allocator

import (
	"errors"
	"fmt"
	"slices"
)

// check verifies every invariant the allocator's structures promise each
// other. Tests call it (through CheckInvariants) after every step, so a
// bookkeeping slip shows up at the step that made it, not three steps later
// as a wrong address.
func (a *Allocator) check() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	// Held addresses: pool, owners, sharing rules, counts.
	assigned := make([][2]uint64, len(a.pools))
	indexed := 0
	for k, h := range a.ips {
		if got := lookup(a.spans, k); h.pool != got {
			fail("%s: pool %d, lookup says %d", k.addr(), h.pool, got)
		}
		if _, orphan := a.orphans[k]; orphan != (h.pool == noPool) {
			fail("%s: in orphan set %v, pool %d", k.addr(), orphan, h.pool)
		}
		if len(h.owners) == 0 {
			fail("%s: held by nobody", k.addr())
			continue
		}
		if !slices.IsSortedFunc(h.owners, func(x, y *service) int { return cmpString(x.name, y.name) }) {
			fail("%s: owners not sorted", k.addr())
		}
		for i, o := range h.owners {
			if a.services[o.name] != o {
				fail("%s: owner %q is not the recorded service", k.addr(), o.name)
			}
			if !slices.Contains(o.held(), k) {
				fail("%s: owner %q does not list it", k.addr(), o.name)
			}
			for _, p := range h.owners[:i] {
				if p.name == o.name {
					fail("%s: owner %q twice", k.addr(), o.name)
				}
				if o.sharingKey == "" || o.sharingKey != p.sharingKey || o.trafficKey != p.trafficKey {
					fail("%s: %q and %q may not share (keys %q/%q, traffic %q/%q)", k.addr(), p.name, o.name, p.sharingKey, o.sharingKey, p.trafficKey, o.trafficKey)
				}
				if port, clash := overlap(o.ports, p.ports); clash {
					fail("%s: %q and %q both use %s", k.addr(), p.name, o.name, port)
				}
			}
		}
		if key := h.owners[0].sharingKey; key != "" {
			indexed++
			if _, ok := a.shared[key][k]; !ok {
				fail("%s: not indexed under sharing key %q", k.addr(), key)
			}
		}
		if h.pool != noPool && a.usable(h.pool, k) {
			assigned[h.pool][famIndex(k.family())]++
			if a.pools[h.pool].fam(k.family()).free.has(k) {
				fail("%s: held and free", k.addr())
			}
		}
	}
	n := 0
	for key, m := range a.shared {
		if len(m) == 0 {
			fail("sharing key %q: empty index entry", key)
		}
		n += len(m)
	}
	if n != indexed {
		fail("sharing index has %d addresses, want %d", n, indexed)
	}
	for name, svc := range a.services {
		if svc.name != name || svc.n == 0 || svc.n > 2 {
			fail("service %q: bad record %+v", name, svc)
			continue
		}
		if svc.n == 2 && svc.ips[0].family() == svc.ips[1].family() {
			fail("service %q: two %s addresses", name, svc.ips[0].family())
		}
		for i := int(svc.n); i < len(svc.holds); i++ {
			if svc.holds[i] != nil {
				fail("service %q: a holding past its %d addresses", name, svc.n)
			}
		}
		for i, k := range svc.held() {
			if h := a.ips[k]; h == nil || !slices.Contains(h.owners, svc) {
				fail("service %q: %s does not list it as an owner", name, k.addr())
			} else if svc.holds[i] != h {
				fail("service %q: %s: stale holding", name, k.addr())
			}
		}
	}

	// Free sets: a well-formed treap of usable, unheld, in-pool addresses,
	// as many as the counts say.
	for p := range a.pools {
		for fi := range a.pools[p].fams {
			fs := &a.pools[p].fams[fi]
			if fs.assigned != assigned[p][fi] {
				fail("pool %q family %d: assigned %d, counted %d", a.pools[p].name, fi, fs.assigned, assigned[p][fi])
			}
			if err := fs.free.check(); err != nil {
				fail("pool %q family %d: %w", a.pools[p].name, fi, err)
			}
			free := Count{}
			fs.free.walk(func(first, last uint128) {
				if lookup(a.spans, first) != int32(p) || lookup(a.spans, last) != int32(p) {
					fail("pool %q: free range %s-%s outside the pool", a.pools[p].name, first.addr(), last.addr())
				}
				if famIndex(first.family()) != fi {
					fail("pool %q: free range %s-%s in the wrong set", a.pools[p].name, first.addr(), last.addr())
				}
				free = free.add(spanCount(first, last))
				if fs.free.avoid {
					free = free.sub(countOf(buggyIn(first, last)))
				}
			})
			if want := fs.total.sub(countOf(fs.assigned)); free != want {
				fail("pool %q family %d: %s free addresses, want total-assigned = %s", a.pools[p].name, fi, free, want)
			}
		}
	}
	return errors.Join(errs...)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// check verifies the treap: search order, heap order, disjoint ranges, the
// length, and for an avoiding set that no range starts on .0 or .255.
func (s *freeSet) check() error {
	var errs []error
	n := 0
	var prev *rangeNode
	var visit func(t *rangeNode, lo, hi *uint128)
	visit = func(t *rangeNode, lo, hi *uint128) {
		if t == nil {
			return
		}
		n++
		if lo != nil && t.first.less(*lo) || hi != nil && !t.first.less(*hi) {
			errs = append(errs, fmt.Errorf("range %s out of search order", t.first.addr()))
		}
		for _, c := range []*rangeNode{t.left, t.right} {
			if c != nil && c.prio > t.prio {
				errs = append(errs, fmt.Errorf("range %s: child has a higher priority", t.first.addr()))
			}
		}
		visit(t.left, lo, &t.first)
		if t.last.less(t.first) {
			errs = append(errs, fmt.Errorf("range %s-%s is backwards", t.first.addr(), t.last.addr()))
		}
		if prev != nil && !prev.last.less(t.first) {
			errs = append(errs, fmt.Errorf("ranges %s-%s and %s-%s overlap", prev.first.addr(), prev.last.addr(), t.first.addr(), t.last.addr()))
		}
		if s.avoid && t.first.buggy() {
			errs = append(errs, fmt.Errorf("range %s-%s starts with an avoided address", t.first.addr(), t.last.addr()))
		}
		prev = t
		visit(t.right, &t.first, hi)
	}
	visit(s.root, nil, nil)
	if n != s.len {
		errs = append(errs, fmt.Errorf("%d ranges, len says %d", n, s.len))
	}
	return errors.Join(errs...)
}
