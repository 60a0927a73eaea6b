package allocator

import (
	"net/netip"
	"slices"
	"strings"
	"sync"
)

// Allocator assigns addresses from pools to Services and remembers who holds
// what. Create one with [New], give it pools with [Allocator.SetPools], rebuild
// the assignments already in Service status with [Allocator.Import], then
// serve [Allocator.Assign] and [Allocator.Release].
type Allocator struct {
	mu sync.Mutex

	pools     []poolState
	poolIndex map[string]int32
	spans     []poolSpan // every range of every pool, sorted

	ips      map[uint128]*holding
	services map[string]*service
	// shared indexes held addresses by the sharing key of their holders, so
	// that finding an address to share looks only at that key's addresses.
	shared  map[string]map[uint128]struct{}
	orphans map[uint128]struct{} // held addresses in no pool

	// Scratch space and recycled records (at most maxSpare of each), so
	// that an assignment allocates nothing but its result in the steady
	// state, and a mass release does not pin its memory.
	cand          []int32
	spareHoldings []*holding
	spareServices []*service
}

// holding is a held address.
type holding struct {
	owners []*service // sorted by name; pairwise compatible (see blocker)
	pool   int32      // noPool for an orphan
	// one backs owners for the usual single owner, so that reading the
	// owners of a random address costs one cache miss, not two.
	one [1]*service
}

// service is a Service that holds addresses, with the parts of its last
// request that decide who may share them.
type service struct {
	name       string
	sharingKey string
	trafficKey string
	ports      []Port
	// ips[:n] are the addresses held, one per family, in the order of the
	// request; holds[i] is a.ips[ips[i]], saving a map lookup. Arrays in
	// the record itself, for the same reason as holding.one.
	ips   [2]uint128
	holds [2]*holding
	n     uint8
}

// held returns the addresses s holds.
func (s *service) held() []uint128 { return s.ips[:s.n] }

// reset makes s the empty record of the Service name, keeping what it can
// reuse.
func (s *service) reset(name string) {
	ports := s.ports[:0]
	*s = service{name: name, ports: ports}
}

// Assignment is an address a Service holds.
type Assignment struct {
	IP netip.Addr
	// Pool is the pool whose ranges hold IP now, or "" if none does (the
	// pools changed after the address was assigned).
	Pool string
}

// Orphan is an address a Service holds that is in no pool.
type Orphan struct {
	Service string
	IP      netip.Addr
}

// maxSpare bounds each list of recycled records: enough for bursts of churn.
const maxSpare = 64

// New returns an allocator with no pools and no assignments.
func New() *Allocator {
	return &Allocator{
		poolIndex: map[string]int32{},
		ips:       map[uint128]*holding{},
		services:  map[string]*service{},
		shared:    map[string]map[uint128]struct{}{},
		orphans:   map[uint128]struct{}{},
	}
}

// Release frees every address the Service name holds. An address shared
// with other Services stays theirs; one held by nobody becomes free, and if
// it is the lowest free address of its pool it is the next one assigned.
// Releasing a Service that holds nothing does nothing.
func (a *Allocator) Release(name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	svc := a.services[name]
	if svc == nil {
		return
	}
	for i, k := range svc.held() {
		a.detach(k, svc.holds[i], svc)
	}
	delete(a.services, name)
	if len(a.spareServices) < maxSpare {
		svc.reset("")
		a.spareServices = append(a.spareServices, svc)
	}
}

// Assigned returns the addresses the Service name holds, in the family order
// of the request that gave them, or nil.
func (a *Allocator) Assigned(name string) []Assignment {
	a.mu.Lock()
	defer a.mu.Unlock()
	svc := a.services[name]
	if svc == nil {
		return nil
	}
	return a.assignments(svc)
}

func (a *Allocator) assignments(svc *service) []Assignment {
	out := make([]Assignment, svc.n)
	for i, k := range svc.held() {
		out[i] = Assignment{IP: k.addr(), Pool: a.poolName(svc.holds[i].pool)}
	}
	return out
}

func (a *Allocator) poolName(p int32) string {
	if p == noPool {
		return ""
	}
	return a.pools[p].name
}

// Owners returns the Services holding ip, sorted, or nil.
func (a *Allocator) Owners(ip netip.Addr) []string {
	if !ip.IsValid() {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	h := a.ips[keyOf(ip)]
	if h == nil {
		return nil
	}
	names := make([]string, len(h.owners))
	for i, o := range h.owners {
		names[i] = o.name
	}
	return names
}

// Orphans returns the held addresses that are in no pool, sorted by address
// and then Service, for status conditions that ask a person to either put
// the address back into a pool or let the Service move.
func (a *Allocator) Orphans() []Orphan {
	a.mu.Lock()
	defer a.mu.Unlock()
	keys := make([]uint128, 0, len(a.orphans))
	for k := range a.orphans {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, uint128.cmp)
	var out []Orphan
	for _, k := range keys {
		ip := k.addr()
		for _, o := range a.ips[k].owners {
			out = append(out, Orphan{Service: o.name, IP: ip})
		}
	}
	return out
}

// attach makes svc an owner of k and returns k's holding. If k was free it
// is taken from its pool.
func (a *Allocator) attach(k uint128, svc *service) *holding {
	h := a.ips[k]
	if h == nil {
		h = a.newHolding()
		h.pool = lookup(a.spans, k)
		a.ips[k] = h
		switch {
		case h.pool == noPool:
			a.orphans[k] = struct{}{}
		case a.usable(h.pool, k):
			fs := a.pools[h.pool].fam(k.family())
			fs.free.take(k)
			fs.assigned++
		}
		if svc.sharingKey != "" {
			a.index(svc.sharingKey, k)
		}
	}
	i, _ := slices.BinarySearchFunc(h.owners, svc.name, func(o *service, name string) int {
		return strings.Compare(o.name, name)
	})
	h.owners = slices.Insert(h.owners, i, svc)
	return h
}

// detach removes svc from the owners of k, whose holding is h. If none
// remain, k is free again.
func (a *Allocator) detach(k uint128, h *holding, svc *service) {
	h.owners = slices.DeleteFunc(h.owners, func(o *service) bool { return o == svc })
	if len(h.owners) > 0 {
		return
	}
	delete(a.ips, k)
	switch {
	case h.pool == noPool:
		delete(a.orphans, k)
	case a.usable(h.pool, k):
		fs := a.pools[h.pool].fam(k.family())
		fs.free.put(k)
		fs.assigned--
	}
	if svc.sharingKey != "" {
		a.unindex(svc.sharingKey, k)
	}
	if len(a.spareHoldings) < maxSpare {
		a.spareHoldings = append(a.spareHoldings, h)
	}
}

func (a *Allocator) newHolding() *holding {
	var h *holding
	if n := len(a.spareHoldings); n > 0 {
		h = a.spareHoldings[n-1]
		a.spareHoldings = a.spareHoldings[:n-1]
		*h = holding{}
	} else {
		h = new(holding)
	}
	h.owners = h.one[:0]
	return h
}

func (a *Allocator) newService(name string) *service {
	var svc *service
	if n := len(a.spareServices); n > 0 {
		svc = a.spareServices[n-1]
		a.spareServices = a.spareServices[:n-1]
	} else {
		svc = new(service)
	}
	svc.reset(name)
	return svc
}
