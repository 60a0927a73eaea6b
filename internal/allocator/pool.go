package allocator

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
)

// Pool is a named set of address ranges that the allocator hands out.
type Pool struct {
	// Name identifies the pool in requests and results; it must be unique.
	Name string
	// Ranges may mix IPv4 and IPv6, in any order, but must not overlap each
	// other or any other pool's. An IPv6 range never holds the IPv4-mapped
	// addresses ::ffff:0:0/96: they are the IPv4 addresses.
	Ranges []Range
	// AvoidBuggyIPs keeps IPv4 addresses ending in .0 or .255 out of the
	// pool's usable addresses: they are never assigned, not even on
	// request, and not counted in Total. They still belong to the pool (see
	// [Allocator.PoolOf]), so no other pool may claim them, and one that a
	// Service already holds can be imported.
	AvoidBuggyIPs bool
}

// poolState is a pool as the allocator keeps it.
type poolState struct {
	name  string
	avoid bool        // AvoidBuggyIPs
	fams  [2]famState // by famIndex
}

// famState is what a pool has of one family.
type famState struct {
	free     freeSet
	total    Count  // usable addresses
	assigned uint64 // usable addresses held
}

func famIndex(f Family) int {
	if f == IPv6 {
		return 1
	}
	return 0
}

func (p *poolState) fam(f Family) *famState { return &p.fams[famIndex(f)] }

func (f *famState) counts() Counts {
	a := countOf(f.assigned)
	return Counts{Total: f.total, Assigned: a, Available: f.total.sub(a)}
}

// poolSpan is one range of one pool in the index that answers "which pool
// holds this address" by binary search.
type poolSpan struct {
	first, last uint128
	pool        int32
	r           Range // as given, for error messages
}

// noPool is the pool index of an address in no pool (an orphan).
const noPool = -1

// SetPools replaces the pool set. On error nothing changes; the error joins
// every problem found, each wrapping [ErrInvalidPool] (overlaps as
// [*OverlapError]).
//
// Assignments survive any change of pools. An address that is now in no pool
// stays held and reserved (see [Allocator.Orphans]) until its Services are
// released or reassigned; one that comes back into a pool is part of that
// pool again, counted in its Assigned. Free addresses are recomputed from the
// new ranges, so the next automatic assignment is the lowest free address of
// the new pool set.
func (a *Allocator) SetPools(pools []Pool) error {
	states, index, spans, err := buildPools(pools)
	if err != nil {
		return err
	}

	a.mu.Lock()
	defer a.mu.Unlock()

	held := make([]uint128, 0, len(a.ips))
	for k := range a.ips {
		held = append(held, k)
	}
	slices.SortFunc(held, uint128.cmp)

	clear(a.orphans)
	for _, k := range held {
		h := a.ips[k]
		h.pool = lookup(spans, k)
		switch {
		case h.pool == noPool:
			a.orphans[k] = struct{}{}
		case !states[h.pool].avoid || !k.buggy():
			states[h.pool].fam(k.family()).assigned++
		}
	}

	// Each pool range is free except for the held addresses inside it.
	for _, sp := range spans {
		fs := &states[sp.pool].fam(sp.first.family()).free
		i, _ := slices.BinarySearchFunc(held, sp.first, uint128.cmp)
		cur := sp.first
		done := false
		for ; i < len(held) && !sp.last.less(held[i]); i++ {
			if cur.less(held[i]) {
				fs.add(cur, held[i].subOne())
			}
			if held[i] == sp.last {
				done = true // the next address may not exist
				break
			}
			cur = held[i].addOne()
		}
		if !done {
			fs.add(cur, sp.last)
		}
	}

	a.pools, a.poolIndex, a.spans = states, index, spans
	return nil
}

// buildPools validates pools and returns their states with totals but empty
// free sets, the name index and the sorted range index.
func buildPools(pools []Pool) ([]poolState, map[string]int32, []poolSpan, error) {
	var errs []error
	states := make([]poolState, len(pools))
	index := make(map[string]int32, len(pools))
	var spans []poolSpan
	for i, p := range pools {
		if p.Name == "" {
			errs = append(errs, fmt.Errorf("pool %d: no name: %w", i, ErrInvalidPool))
			continue
		}
		if _, dup := index[p.Name]; dup {
			errs = append(errs, fmt.Errorf("pool %q: defined twice: %w", p.Name, ErrInvalidPool))
			continue
		}
		index[p.Name] = int32(i)
		states[i].name = p.Name
		states[i].avoid = p.AvoidBuggyIPs
		states[i].fams[0].free.avoid = p.AvoidBuggyIPs // only IPv4 has such addresses
		for _, r := range p.Ranges {
			if err := r.check(); err != nil {
				errs = append(errs, fmt.Errorf("pool %q: %w: %w", p.Name, err, ErrInvalidPool))
				continue
			}
			for _, sp := range pieces(keyOf(r.First), keyOf(r.Last)) {
				fs := states[i].fam(sp[0].family())
				fs.total = fs.total.add(spanCount(sp[0], sp[1]))
				if p.AvoidBuggyIPs && sp[0].is4() {
					fs.total = fs.total.sub(countOf(buggyIn(sp[0], sp[1])))
				}
				spans = append(spans, poolSpan{first: sp[0], last: sp[1], pool: int32(i), r: r})
			}
		}
	}
	slices.SortFunc(spans, func(x, y poolSpan) int { return x.first.cmp(y.first) })

	// Sorted by first address, a range overlaps an earlier one if and only
	// if it starts at or before the furthest end seen so far.
	for i, reach := 1, 0; i < len(spans); i++ {
		if !spans[reach].last.less(spans[i].first) {
			errs = append(errs, &OverlapError{
				Pools:  [2]string{pools[spans[reach].pool].Name, pools[spans[i].pool].Name},
				Ranges: [2]Range{spans[reach].r, spans[i].r},
			})
		}
		if spans[reach].last.less(spans[i].last) {
			reach = i
		}
	}
	if len(errs) > 0 {
		return nil, nil, nil, errors.Join(errs...)
	}
	return states, index, spans, nil
}

// The IPv4-mapped block ::ffff:0:0/96, where IPv4 addresses live in the key
// space.
var (
	mappedFirst = uint128{0, 0xffff << 32}
	mappedLast  = uint128{0, 1<<48 - 1}
)

// pieces returns the range [first, last] without the IPv4-mapped block if it
// is an IPv6 range around it: those are IPv4 addresses, which only an IPv4
// range holds, so ::/0 has 2^128 - 2^32 addresses and does not overlap an
// IPv4 pool.
func pieces(first, last uint128) [][2]uint128 {
	if first.is4() || !first.less(mappedFirst) || last.less(mappedFirst) {
		return [][2]uint128{{first, last}}
	}
	out := [][2]uint128{{first, mappedFirst.subOne()}}
	if mappedLast.less(last) {
		out = append(out, [2]uint128{mappedLast.addOne(), last})
	}
	return out
}

// lookup returns the pool that holds k, or noPool.
func lookup(spans []poolSpan, k uint128) int32 {
	// The first range that starts above k is just after the only one that
	// can hold it.
	i, _ := slices.BinarySearchFunc(spans, k, func(sp poolSpan, k uint128) int {
		return cmp.Or(sp.first.cmp(k), -1) // equal sorts before: find the first start > k
	})
	if i == 0 || spans[i-1].last.less(k) {
		return noPool
	}
	return spans[i-1].pool
}

// usable reports whether pool p may hand out k.
func (a *Allocator) usable(p int32, k uint128) bool {
	return p != noPool && (!a.pools[p].avoid || !k.buggy())
}

// PoolOf returns the name of the pool whose ranges hold ip.
func (a *Allocator) PoolOf(ip netip.Addr) (string, bool) {
	if !ip.IsValid() {
		return "", false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p := lookup(a.spans, keyOf(ip))
	if p == noPool {
		return "", false
	}
	return a.pools[p].name, true
}

// Stats returns the address counts of a pool, per family; zero for an
// unknown pool or a family the pool has no addresses of.
func (a *Allocator) Stats(pool string) (v4, v6 Counts) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.poolIndex[pool]
	if !ok {
		return Counts{}, Counts{}
	}
	return a.pools[p].fams[0].counts(), a.pools[p].fams[1].counts()
}
