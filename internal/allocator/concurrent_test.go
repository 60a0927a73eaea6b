package allocator_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/ironlb/ironlb/internal/allocator"
)

// TestConcurrentUse hammers one allocator from several goroutines; run with
// -race. Each goroutine owns its Services, so whatever the interleaving each
// ends up holding exactly one address, all distinct.
func TestConcurrentUse(t *testing.T) {
	a := newAllocator(t, pool("a", "203.0.113.0/24", "2001:db8::/64"))
	const workers, services = 4, 20
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for round := range 20 {
				for s := range services {
					name := fmt.Sprintf("ns/w%d-s%d", w, s)
					req := allocator.Request{Service: name, Families: dual, Pools: []string{"a"}}
					if _, err := a.Assign(req); err != nil {
						t.Errorf("Assign(%s): %v", name, err)
						return
					}
					if round%3 == 0 {
						a.Release(name)
					}
					a.Stats("a")
					a.Owners(addr("203.0.113.1"))
				}
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			if err := a.SetPools([]allocator.Pool{pool("a", "203.0.113.0/24", "2001:db8::/64")}); err != nil {
				t.Errorf("SetPools: %v", err)
			}
			a.Orphans()
		}
	})
	wg.Wait()
	checkInvariants(t, a)
	if v4, v6 := stats(a, "a"); v4.Assigned != fmt.Sprint(workers*services) || v6.Assigned != fmt.Sprint(workers*services) {
		t.Errorf("assigned = %s, %s; want %d each", v4.Assigned, v6.Assigned, workers*services)
	}
}
