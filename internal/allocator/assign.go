package allocator

import (
	"fmt"
	"net/netip"
	"slices"
)

// Assign gives req.Service one address for each family in req.Families and
// returns them in that order.
//
// For each family, in order of precedence:
//
//  1. An address named in req.IPs. It must be in one of req.Pools (else
//     [ErrNotAllowed] if another pool has it, [ErrNotInPool] if none does),
//     usable there, and free or held only by Services req may share with
//     (else [ErrIPInUse]).
//  2. The address of that family the Service already holds, if it is still
//     valid for req: in a candidate pool, usable, and shareable with its
//     other holders under req's ports and keys. An address changes only when
//     the request changes; an orphan is not valid, so a Service whose
//     address left every pool moves when it is next assigned.
//  3. With a sharing key, an address already held by Services req may share
//     with, in the first candidate pool that has one, the lowest there.
//  4. The lowest free address of the first candidate pool that has one, or
//     [ErrPoolExhausted]; [ErrNoEligiblePool] if no candidate pool has
//     addresses of the family at all.
//
// Assign is atomic: on success the Service holds exactly the returned
// addresses, and those it held before but no longer wants are released; on
// error it holds what it held before.
func (a *Allocator) Assign(req Request) ([]Assignment, error) {
	if err := req.check(req.IPs); err != nil {
		return nil, fmt.Errorf("assign to %q: %w", req.Service, err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()

	cand := a.candidates(req.Pools)
	svc := a.services[req.Service]
	var picks [2]uint128
	for i, f := range req.Families {
		k, err := a.choose(svc, &req, f, cand)
		if err != nil {
			return nil, err
		}
		picks[i] = k
	}
	// Choosing changed nothing, and the picks are of distinct families, so
	// they cannot collide: committing cannot fail.
	svc = a.commit(svc, &req, picks[:len(req.Families)])
	return a.assignments(svc), nil
}

// Import records that req.Service holds ips, as its status says it does, when
// the controller rebuilds the allocator at startup. It bypasses pool policy:
// an address may be in no pool, in a pool not in req.Pools, or one its pool
// avoids; the caller decides what to do about that (see
// [Allocator.Orphans]). It refuses, with [ErrIPInUse], an address held by a
// Service that req may not share with, and with [ErrInvalidRequest] ips that
// are empty, name a family twice or a family not in req.Families; req.IPs is
// ignored.
//
// Afterwards the Service holds exactly ips, so importing the same thing twice
// changes nothing. Like Assign it is atomic.
func (a *Allocator) Import(req Request, ips []netip.Addr) error {
	if err := req.check(ips); err != nil {
		return fmt.Errorf("import %v for %q: %w", ips, req.Service, err)
	}
	if len(ips) == 0 {
		return fmt.Errorf("import for %q: no addresses: %w", req.Service, ErrInvalidRequest)
	}
	a.mu.Lock()
	defer a.mu.Unlock()

	var picks [2]uint128
	n := 0
	for _, f := range req.Families {
		if ip, ok := familyAddr(ips, f); ok {
			k := keyOf(ip)
			if h := a.ips[k]; h != nil {
				if o := blocker(h, &req); o != nil {
					return fmt.Errorf("import %s for %q: %s: %w", k.addr(), req.Service, why(o, &req), ErrIPInUse)
				}
			}
			picks[n] = k
			n++
		}
	}
	a.commit(a.services[req.Service], &req, picks[:n])
	return nil
}

func familyAddr(ips []netip.Addr, f Family) (netip.Addr, bool) {
	for _, ip := range ips {
		if FamilyOf(ip) == f {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// candidates resolves pool names to pool indexes, in order, without unknown
// names or repeats.
func (a *Allocator) candidates(names []string) []int32 {
	a.cand = a.cand[:0]
	for _, name := range names {
		if p, ok := a.poolIndex[name]; ok && !slices.Contains(a.cand, p) {
			a.cand = append(a.cand, p)
		}
	}
	return a.cand
}

// choose picks the address of family f for req without changing anything.
func (a *Allocator) choose(svc *service, req *Request, f Family, cand []int32) (uint128, error) {
	if ip, ok := req.explicit(f); ok {
		return a.chooseExplicit(ip, req, cand)
	}
	if svc != nil {
		for _, k := range svc.held() {
			if k.family() == f && a.validFor(k, req, cand) {
				return k, nil
			}
		}
	}
	if req.SharingKey != "" {
		if k, ok := a.shareable(req, f, cand); ok {
			return k, nil
		}
	}
	eligible := false
	for _, p := range cand {
		fs := a.pools[p].fam(f)
		if fs.total.IsZero() {
			continue
		}
		eligible = true
		if k, ok := fs.free.lowest(); ok {
			return k, nil
		}
	}
	if !eligible {
		return uint128{}, fmt.Errorf("assign %s address to %q: none of the pools %q has %s addresses: %w", f, req.Service, req.Pools, f, ErrNoEligiblePool)
	}
	return uint128{}, fmt.Errorf("assign %s address to %q: pools %q are full: %w", f, req.Service, req.Pools, ErrPoolExhausted)
}

func (a *Allocator) chooseExplicit(ip netip.Addr, req *Request, cand []int32) (uint128, error) {
	k := keyOf(ip)
	p := lookup(a.spans, k)
	switch {
	case p == noPool:
		return k, fmt.Errorf("assign %s to %q: %w", k.addr(), req.Service, ErrNotInPool)
	case rank(cand, p) < 0:
		return k, fmt.Errorf("assign %s to %q: its pool %q is not among %q: %w", k.addr(), req.Service, a.pools[p].name, req.Pools, ErrNotAllowed)
	case !a.usable(p, k):
		return k, fmt.Errorf("assign %s to %q: pool %q avoids addresses ending in .0 and .255: %w", k.addr(), req.Service, a.pools[p].name, ErrNotAllowed)
	}
	if h := a.ips[k]; h != nil {
		if o := blocker(h, req); o != nil {
			return k, fmt.Errorf("assign %s to %q: %s: %w", k.addr(), req.Service, why(o, req), ErrIPInUse)
		}
	}
	return k, nil
}

// validFor reports whether the held address k may stay with req's Service.
func (a *Allocator) validFor(k uint128, req *Request, cand []int32) bool {
	h := a.ips[k]
	return rank(cand, h.pool) >= 0 && a.usable(h.pool, k) && blocker(h, req) == nil
}

// commit makes svc (created if nil) hold exactly picks under req's sharing
// attributes. Every pick must be free or shareable by req.
func (a *Allocator) commit(svc *service, req *Request, picks []uint128) *service {
	if svc == nil {
		svc = a.newService(req.Service)
	} else {
		// Take the caller's copy of the name, which it keeps anyway
		// (the controller's cached Service): the record and the map's
		// key then hold no string of their own. Assigning to an
		// existing string key replaces the key.
		svc.name = req.Service
	}
	a.services[req.Service] = svc
	var holds [2]*holding // the holdings of picks that svc keeps
	for i, k := range svc.held() {
		if j := slices.Index(picks, k); j >= 0 {
			holds[j] = svc.holds[i]
		} else {
			a.detach(k, svc.holds[i], svc)
		}
	}
	if svc.sharingKey != req.SharingKey {
		// A kept address that svc holds alone moves to the new key in the
		// index. One with other holders cannot change key: they all carry
		// req's key, which svc had too.
		for j, h := range holds[:len(picks)] {
			if h != nil && len(h.owners) == 1 {
				if svc.sharingKey != "" {
					a.unindex(svc.sharingKey, picks[j])
				}
				if req.SharingKey != "" {
					a.index(req.SharingKey, picks[j])
				}
			}
		}
	}
	svc.sharingKey, svc.trafficKey = req.SharingKey, req.TrafficKey
	svc.ports = append(svc.ports[:0], req.Ports...)
	for j, k := range picks {
		if holds[j] == nil {
			holds[j] = a.attach(k, svc)
		}
	}
	svc.n = uint8(copy(svc.ips[:], picks))
	svc.holds = holds
	return svc
}
