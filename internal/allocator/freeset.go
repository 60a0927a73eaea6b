package allocator

// freeSet holds the free addresses of one family of one pool as disjoint
// ranges in a treap (a binary search tree on the first address that is also a
// heap on a per-node priority). The priorities make the expected depth
// O(log n) whatever the order of inserts and deletes, with far less code than
// an AVL or red-black tree. They come from a counter run through a mixer, not
// from a seeded random source, so that the same calls build the same tree;
// no result depends on the tree's shape anyway, only on its contents.
//
// Every operation walks one root-to-leaf path without recursion. A returned
// address merges with the ranges next to it, so the number of nodes stays at
// most the number of pool ranges plus the number of held addresses: a /64
// with a thousand addresses in use costs what a /24 with as many does.
type freeSet struct {
	root   *rangeNode
	spare  *rangeNode // recycled nodes, linked through right
	nspare int        // at most maxSpare
	seq    uint64     // priority source
	len    int        // number of ranges

	// avoid is set for the IPv4 set of a pool with AvoidBuggyIPs. The set
	// then keeps one more invariant: the first address of every range ends
	// neither in .0 nor in .255, so the lowest usable address is always the
	// first of the leftmost range. Addresses inside a range may still be
	// such; taking the one before them trims them away.
	avoid bool
}

type rangeNode struct {
	first, last uint128
	prio        uint64
	left, right *rangeNode
}

// lowest returns the lowest free address, if any.
func (s *freeSet) lowest() (uint128, bool) {
	n := s.root
	if n == nil {
		return uint128{}, false
	}
	for n.left != nil {
		n = n.left
	}
	return n.first, true
}

// floor returns the range with the greatest first address <= k, and the
// range after it (the smallest first address > k); either may be nil.
func (s *freeSet) floor(k uint128) (at, next *rangeNode) {
	for n := s.root; n != nil; {
		if k.less(n.first) {
			next, n = n, n.left
		} else {
			at, n = n, n.right
		}
	}
	return at, next
}

// has reports whether k is free and may be handed out.
func (s *freeSet) has(k uint128) bool {
	if s.avoid && k.buggy() {
		return false
	}
	at, _ := s.floor(k)
	return at != nil && !at.last.less(k)
}

// add inserts the free range [first, last], which must not overlap the set,
// trimming what an avoiding set may not start with. Used to build a set.
func (s *freeSet) add(first, last uint128) {
	if s.avoid {
		first = skipBuggy(first)
		if last.less(first) {
			return
		}
	}
	s.insert(first, last)
}

// take removes k, which must be free and usable, from the set.
func (s *freeSet) take(k uint128) {
	n, _ := s.floor(k)
	if n == nil || n.last.less(k) {
		panic("allocator: taking an address that is not free") // an invariant is broken; do not corrupt further
	}
	switch {
	case n.first == k:
		if n.last == k {
			s.delete(k)
			return
		}
		next := k.addOne()
		if s.avoid {
			next = skipBuggy(next)
			if n.last.less(next) {
				s.delete(k)
				return
			}
		}
		n.first = next // still below the next range's first: order holds
	case n.last == k:
		n.last = k.subOne()
	default:
		last := n.last
		n.last = k.subOne()
		s.add(k.addOne(), last)
	}
}

// put returns k, which must not be in the set, merging it with the ranges
// next to it.
func (s *freeSet) put(k uint128) {
	if s.avoid && k.buggy() {
		return // never handed out, so never kept
	}
	prev, next := s.floor(k)
	joinPrev := prev != nil && prev.last.addOne() == k
	joinNext := next != nil && k.addOne() == next.first
	switch {
	case joinPrev && joinNext:
		prev.last = next.last
		s.delete(next.first)
	case joinPrev:
		prev.last = k
	case joinNext:
		next.first = k // still above the previous range's last: order holds
	default:
		s.insert(k, k)
	}
}

// walk calls f for every range in ascending order, for invariant checks.
func (s *freeSet) walk(f func(first, last uint128)) {
	var stack []*rangeNode
	for n := s.root; n != nil || len(stack) > 0; {
		for n != nil {
			stack = append(stack, n)
			n = n.left
		}
		n = stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		f(n.first, n.last)
		n = n.right
	}
}

func (s *freeSet) insert(first, last uint128) {
	n := s.spare
	if n != nil {
		s.spare = n.right
		s.nspare--
		*n = rangeNode{}
	} else {
		n = new(rangeNode)
	}
	s.seq++
	n.first, n.last, n.prio = first, last, mix64(s.seq)
	s.len++

	// Walk down while the path's priorities beat the new node's, then split
	// the subtree found there around the new node.
	link := &s.root
	for *link != nil && (*link).prio > n.prio {
		if first.less((*link).first) {
			link = &(*link).left
		} else {
			link = &(*link).right
		}
	}
	n.left, n.right = split(*link, first)
	*link = n
}

// delete removes the range that starts at first, which must exist.
func (s *freeSet) delete(first uint128) {
	link := &s.root
	for (*link).first != first {
		if first.less((*link).first) {
			link = &(*link).left
		} else {
			link = &(*link).right
		}
	}
	n := *link
	*link = merge(n.left, n.right)
	s.len--
	if s.nspare < maxSpare {
		n.left, n.right = nil, s.spare
		s.spare = n
		s.nspare++
	}
}

// split divides t into the ranges that start below k and the others.
func split(t *rangeNode, k uint128) (below, rest *rangeNode) {
	bl, rl := &below, &rest
	for t != nil {
		if t.first.less(k) {
			*bl = t
			bl = &t.right
			t = t.right
		} else {
			*rl = t
			rl = &t.left
			t = t.left
		}
	}
	*bl, *rl = nil, nil
	return below, rest
}

// merge joins two treaps where every range of l is below every range of r.
func merge(l, r *rangeNode) *rangeNode {
	var root *rangeNode
	link := &root
	for l != nil && r != nil {
		if l.prio > r.prio {
			*link = l
			link = &l.right
			l = l.right
		} else {
			*link = r
			link = &r.left
			r = r.left
		}
	}
	if l != nil {
		*link = l
	} else {
		*link = r
	}
	return root
}

// mix64 is the SplitMix64 finalizer: consecutive inputs give unrelated
// outputs, which is all a treap asks of its priorities.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
