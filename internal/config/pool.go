package config

import (
	"cmp"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/ironlb/ironlb/api/v1alpha1"
)

// Pool is a valid IPPool that overlaps no older pool.
type Pool struct {
	Name string
	// Ranges are the pool's addresses, sorted (IPv4 before IPv6) and
	// pairwise disjoint.
	Ranges []Range
	// AutoAssign: Services that ask for no pool or address may get addresses
	// from this pool (spec.autoAssign, default true).
	AutoAssign bool
	// AvoidBuggyIPs: IPv4 addresses ending in .0 and .255 are never handed
	// out.
	AvoidBuggyIPs bool
	// Priority orders the pools a Service may use: lower first, then by name.
	Priority int32
	// AllNamespaces is true when the pool names neither namespaces nor a
	// namespaceSelector: any namespace may use it.
	AllNamespaces bool
	// Namespaces, when AllNamespaces is false, are the only namespaces whose
	// Services may use the pool, sorted: those listed by name plus those of
	// Input.Namespaces that the namespaceSelector matches. Parse again when
	// Namespaces or their labels change.
	Namespaces []string
	// ServiceSelector limits the pool to Services with matching labels; nil
	// means every Service.
	ServiceSelector labels.Selector
}

// AllowsNamespace reports whether Services in namespace ns may use the pool.
// A pool that names namespaces is a hard tenant boundary (DESIGN.md §3): no
// other namespace gets its addresses, not even by asking for one.
func (p *Pool) AllowsNamespace(ns string) bool {
	return p.AllNamespaces || contains(p.Namespaces, ns)
}

// AllowsService reports whether a Service with these labels may use the
// pool.
func (p *Pool) AllowsService(serviceLabels map[string]string) bool {
	return matches(p.ServiceSelector, serviceLabels)
}

// claim is one address entry of a pool, for the overlap checks.
type claim struct {
	pool  int // index in age order
	entry int // index in spec.addresses
	r     Range
}

// parsePools parses the pools oldest first (creationTimestamp, then name):
// when two pools overlap the older one keeps the addresses, so creating a
// pool never takes addresses away from one that is already in use.
//
// Every address of a pool that parses claims that address, even when the
// pool is invalid for another reason or itself overlaps an older pool. So
// whether a pool is in use depends only on the pools older than it, never on
// whether they are valid at the moment: fixing or breaking a pool never moves
// addresses between other pools.
func (p *parser) parsePools() {
	pools := slices.Clone(p.in.Pools)
	slices.SortStableFunc(pools, func(a, b v1alpha1.IPPool) int {
		return cmp.Or(a.CreationTimestamp.Compare(b.CreationTimestamp.Time), cmp.Compare(a.Name, b.Name))
	})
	parsed := make([]*Pool, len(pools))
	objs := make([]*problems, len(pools))
	var claims []claim
	for i := range pools {
		objs[i] = p.object(KindIPPool, pools[i].Name)
		var ranges []claim
		parsed[i], ranges = p.parsePool(objs[i], &pools[i])
		for _, c := range ranges {
			c.pool = i
			claims = append(claims, c)
		}
	}
	conflicted := overlaps(pools, objs, claims)
	for i, pool := range parsed {
		name := pools[i].Name
		switch {
		case conflicted[i]:
			p.pools.why[name] = "it overlaps an older pool"
		case objs[i].invalid:
			p.pools.why[name] = "it is invalid"
		default:
			p.cfg.Pools[name] = pool
			p.pools.valid[name] = pools[i].Labels
		}
	}
}

// parsePool parses one pool alone and returns it with the address entries
// that parsed.
func (p *parser) parsePool(o *problems, obj *v1alpha1.IPPool) (*Pool, []claim) {
	spec := &obj.Spec
	pool := &Pool{Name: obj.Name, AutoAssign: true, AvoidBuggyIPs: spec.AvoidBuggyIPs, AllNamespaces: true}
	if spec.AutoAssign != nil {
		pool.AutoAssign = *spec.AutoAssign
	}
	if len(spec.Addresses) == 0 {
		o.invalidf("spec.addresses", "must list at least one address: %s", addressForms)
	}
	var claims []claim
	for i, a := range spec.Addresses {
		r, err := ParseAddressRange(string(a))
		if err != nil {
			o.invalidf(fmt.Sprintf("spec.addresses[%d]", i), "%v", err)
			continue
		}
		claims = append(claims, claim{entry: i, r: r})
	}
	slices.SortFunc(claims, func(a, b claim) int {
		return cmp.Or(a.r.First.Compare(b.r.First), a.r.Last.Compare(b.r.Last), cmp.Compare(a.entry, b.entry))
	})
	// Sorted by first address, an entry overlaps an earlier one iff it
	// overlaps the earlier entry reaching highest; naming that one is enough.
	var reach claim
	if len(claims) > 0 {
		reach = claims[0]
	}
	for j := 1; j < len(claims); j++ {
		if both, ok := reach.r.intersect(claims[j].r); ok {
			a, b := min(reach.entry, claims[j].entry), max(reach.entry, claims[j].entry)
			o.invalidf(fmt.Sprintf("spec.addresses[%d]", b), "%s overlaps spec.addresses[%d] (%s) at %s: list each address once",
				spec.Addresses[b], a, spec.Addresses[a], both)
		}
		if reach.r.Last.Less(claims[j].r.Last) {
			reach = claims[j]
		}
	}
	for _, c := range claims {
		pool.Ranges = append(pool.Ranges, c.r)
	}
	if alloc := spec.Allocation; alloc != nil {
		pool.Priority = alloc.Priority
		pool.ServiceSelector, _ = selector(o, "spec.allocation.serviceSelector", alloc.ServiceSelector)
		if len(alloc.Namespaces) > 0 || alloc.NamespaceSelector != nil {
			pool.AllNamespaces = false
			pool.Namespaces = p.allowedNamespaces(o, alloc)
		}
	}
	return pool, claims
}

// allowedNamespaces resolves allocation.namespaces and namespaceSelector
// into one sorted set: a namespace matching either is allowed.
func (p *parser) allowedNamespaces(o *problems, alloc *v1alpha1.IPPoolAllocation) []string {
	out := slices.Clone(alloc.Namespaces)
	sel, ok := selector(o, "spec.allocation.namespaceSelector", alloc.NamespaceSelector)
	if ok && sel != nil {
		for _, ns := range p.in.Namespaces {
			if sel.Matches(labels.Set(ns.Labels)) {
				out = append(out, ns.Name)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// overlaps reports every address entry that overlaps an entry of an older
// pool, on the younger pool, and returns which pools lost addresses that
// way. Sorted by first address, each entry is compared with the earlier
// entries that reach it, so the work grows with the overlaps found, not with
// the square of the entries.
func overlaps(pools []v1alpha1.IPPool, objs []*problems, claims []claim) (conflicted []bool) {
	conflicted = make([]bool, len(pools))
	slices.SortFunc(claims, func(a, b claim) int {
		return cmp.Or(a.r.First.Compare(b.r.First), cmp.Compare(a.pool, b.pool), cmp.Compare(a.entry, b.entry))
	})
	type hit struct{ young, old claim }
	var hits []hit
	var active []claim
	for _, c := range claims {
		active = slices.DeleteFunc(active, func(a claim) bool { return !a.r.Overlaps(c.r) })
		for _, a := range active {
			if a.pool == c.pool {
				continue // within one pool: parsePool reports it
			}
			if a.pool < c.pool {
				hits = append(hits, hit{young: c, old: a})
			} else {
				hits = append(hits, hit{young: a, old: c})
			}
		}
		active = append(active, c)
	}
	slices.SortFunc(hits, func(a, b hit) int {
		return cmp.Or(cmp.Compare(a.young.pool, b.young.pool), cmp.Compare(a.young.entry, b.young.entry),
			cmp.Compare(a.old.pool, b.old.pool), cmp.Compare(a.old.entry, b.old.entry))
	})
	for _, h := range hits {
		conflicted[h.young.pool] = true
		young, old := &pools[h.young.pool], &pools[h.old.pool]
		when := "was created earlier"
		if young.CreationTimestamp.Equal(&old.CreationTimestamp) {
			when = "was created at the same time and sorts first by name"
		}
		both, _ := h.young.r.intersect(h.old.r)
		objs[h.young.pool].add(fmt.Sprintf("spec.addresses[%d]", h.young.entry), v1alpha1.ReasonOverlap,
			fmt.Sprintf("%s is also in IPPool %q (its spec.addresses[%d], %s), which %s and takes precedence; this pool is not used until the overlap is removed",
				both, old.Name, h.old.entry, old.Spec.Addresses[h.old.entry], when))
	}
	return conflicted
}
