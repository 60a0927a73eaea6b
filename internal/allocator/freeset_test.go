package allocator

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestFreeSetModel runs random takes and puts against a plain bitmap of the
// same addresses and compares the lowest free address after every step.
func TestFreeSetModel(t *testing.T) {
	for _, tt := range []struct {
		name  string
		base  string
		size  int
		avoid bool
	}{
		{"ipv4", "10.0.0.200", 700, false},
		{"ipv4 avoid", "10.0.0.200", 700, true},
		{"ipv6", "2001:db8::ff00", 700, false},
		{"ipv6 top", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fe00", 512, false},
		{"ipv4 top avoid", "255.255.254.100", 412, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := keyOf(netip.MustParseAddr(tt.base))
			at := func(i int) uint128 { return base.add64(uint64(i)) }
			usable := func(i int) bool { return !tt.avoid || !at(i).buggy() }
			free := make([]bool, tt.size)
			for i := range free {
				free[i] = usable(i)
			}
			s := freeSet{avoid: tt.avoid}
			s.add(at(0), at(tt.size-1))
			rng := rand.New(rand.NewPCG(1, 2))
			for step := range 20000 {
				i := rng.IntN(tt.size)
				switch op := rng.IntN(3); {
				case op == 0: // assign the lowest
					k, ok := s.lowest()
					want := -1
					for j, f := range free {
						if f {
							want = j
							break
						}
					}
					if ok != (want >= 0) || ok && k != at(want) {
						t.Fatalf("step %d: lowest() = %s, %v; want index %d", step, k.addr(), ok, want)
					}
					if ok {
						s.take(k)
						free[want] = false
					}
				case op == 1 && free[i]: // assign a named address
					s.take(at(i))
					free[i] = false
				case op == 2 && !free[i] && usable(i): // release
					s.put(at(i))
					free[i] = true
				}
				for _, j := range []int{0, i, tt.size - 1} {
					if got := s.has(at(j)); got != free[j] {
						t.Fatalf("step %d: has(%s) = %v, want %v", step, at(j).addr(), got, free[j])
					}
				}
				if err := s.check(); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
			}
		})
	}
}

// TestFreeSetReusesNodes shows that churn does not grow the heap: deleted
// nodes are recycled by the next insert.
func TestFreeSetReusesNodes(t *testing.T) {
	base := keyOf(netip.MustParseAddr("198.18.0.0"))
	s := freeSet{}
	s.add(base, base.add64(1<<16))
	for i := range 1000 {
		s.take(base.add64(uint64(2 * i)))
	}
	allocs := testing.AllocsPerRun(100, func() {
		k := base.add64(1001)
		s.take(k)
		s.put(k)
	})
	if allocs != 0 {
		t.Errorf("take+put in the middle of a range: %v allocations, want 0", allocs)
	}
}

// BenchmarkFreeSet returns a random held address and takes a random free
// one, in a set that stays fragmented into about 20000 ranges: the tree's
// share of BenchmarkChurn.
func BenchmarkFreeSet(b *testing.B) {
	const size, holes = 125_000, 25_000
	base := keyOf(netip.MustParseAddr("198.18.0.0"))
	s := freeSet{}
	s.add(base, base.add64(size-1))
	addrs := make([]uint128, size)
	for i := range addrs {
		addrs[i] = base.add64(uint64(i))
		s.take(addrs[i])
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
	held, free := addrs[:size-holes], addrs[size-holes:]
	for _, k := range free {
		s.put(k)
	}
	b.ReportAllocs()
	for b.Loop() {
		i, j := r.IntN(len(held)), r.IntN(len(free))
		s.put(held[i])
		s.take(free[j])
		held[i], free[j] = free[j], held[i]
	}
	b.ReportMetric(float64(s.len), "ranges")
}
