package allocator

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestDeterministic replays one random sequence of calls on two allocators
// and compares everything they answered: no map order or other hidden state
// may leak into results (DESIGN.md §4).
func TestDeterministic(t *testing.T) {
	data := seedOps(rand.New(rand.NewPCG(11, 12)), 300)
	transcript := func() string {
		var b strings.Builder
		a := New()
		for d := data; len(d) >= opSize; d = d[opSize:] {
			o := op(d[:opSize])
			switch o.kind() {
			case opSetPools:
				fmt.Fprintln(&b, a.SetPools(o.layout()))
			case opAssign:
				got, err := a.Assign(o.request())
				fmt.Fprintln(&b, got, err)
			case opImport:
				fmt.Fprintln(&b, a.Import(o.request(), o.importAddrs()))
			case opRelease:
				a.Release(o.service())
			}
			fmt.Fprintln(&b, a.Orphans())
		}
		for _, name := range fuzzServices {
			fmt.Fprintln(&b, a.Assigned(name))
		}
		return b.String()
	}
	first, second := transcript(), transcript()
	if first != second {
		t.Errorf("two runs of the same calls differ:\n%s\n----\n%s", first, second)
	}
	if !strings.Contains(first, "address in use") || !strings.Contains(first, " a}") {
		t.Errorf("the sequence exercised too little:\n%s", first)
	}
}
