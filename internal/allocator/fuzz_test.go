package allocator

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// FuzzAllocator decodes its input into a sequence of SetPools, Assign, Import
// and Release calls over small pool layouts, and after every call compares
// the allocator with a brute-force model (model_test.go) that knows nothing
// of trees, keys or indexes: it enumerates every address of every pool.
// Results, errors, owners, orphans and counts must all agree, and the
// internal invariants must hold.
func FuzzAllocator(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 16 {
		f.Add(seedOps(r, 60))
	}
	f.Fuzz(runOps)
}

// runOps runs the calls data decodes to and checks after each.
func runOps(t *testing.T, data []byte) {
	a := New()
	m := &model{svcs: map[string]*modelService{}}
	m.setPools(fuzzLayouts[0])
	if err := a.SetPools(m.pools); err != nil {
		t.Fatal(err)
	}
	for step := 0; len(data) >= opSize && step < 200; step++ {
		o := op(data[:opSize])
		data = data[opSize:]
		what := func() string { return o.String() } // formatted only on failure: it is most of the cost otherwise
		switch o.kind() {
		case opSetPools:
			layout := o.layout()
			if err := a.SetPools(layout); err != nil {
				t.Fatalf("step %d: %s: %v", step, what(), err)
			}
			m.setPools(layout)
		case opAssign:
			req := o.request()
			want, wantErr := m.assign(req)
			got, err := a.Assign(req)
			if !errors.Is(err, wantErr) || (err == nil) != (wantErr == nil) {
				t.Fatalf("step %d: %s: error %v, want %v", step, what(), err, wantErr)
			}
			if err == nil {
				var ips []netip.Addr
				for _, g := range got {
					ips = append(ips, g.IP)
				}
				if !slices.Equal(ips, want) {
					t.Fatalf("step %d: %s = %v, want %v", step, what(), ips, want)
				}
				m.svcs[req.Service] = &modelService{req: req, ips: want}
			}
		case opImport:
			req, ips := o.request(), o.importAddrs()
			want, wantErr := m.importIPs(req, ips)
			err := a.Import(req, ips)
			if !errors.Is(err, wantErr) || (err == nil) != (wantErr == nil) {
				t.Fatalf("step %d: %s: error %v, want %v", step, what(), err, wantErr)
			}
			if err == nil {
				m.svcs[req.Service] = &modelService{req: req, ips: want}
			}
		case opRelease:
			a.Release(o.service())
			delete(m.svcs, o.service())
		}
		if err := m.compare(a); err != nil {
			t.Fatalf("step %d: after %s: %v", step, what(), err)
		}
	}
}

// opSize is the size of one call in the fuzz input. Each call has its own
// fixed-size record, so a mutation changes one call rather than the meaning
// of every byte after it.
const opSize = 12

// op is one call: byte 0 is the kind, the others its arguments, each byte
// taken modulo the size of its vocabulary below.
//
//	1 service (or layout)   2 families   3 number of pools (1-3)   4-6 pools
//	7 sharing key   8 traffic key   9 port mask   10 named address   11 second import address
type op [opSize]byte

type opKind int

const (
	opSetPools opKind = iota
	opAssign
	opImport
	opRelease
)

var opKinds = [8]opKind{opSetPools, opAssign, opAssign, opAssign, opAssign, opImport, opImport, opRelease}

func (o op) kind() opKind { return opKinds[o[0]%8] }

func (o op) layout() []Pool { return fuzzLayouts[int(o[1])%len(fuzzLayouts)] }

func (o op) service() string { return fuzzServices[int(o[1])%len(fuzzServices)] }

// request decodes a valid request. Kind 4 may name an address of a wanted
// family.
func (o op) request() Request {
	req := Request{
		Service:    o.service(),
		Families:   fuzzFamilies[int(o[2])%len(fuzzFamilies)],
		SharingKey: fuzzKeys[int(o[7])%len(fuzzKeys)],
	}
	for i := range 1 + int(o[3])%3 {
		req.Pools = append(req.Pools, fuzzPools[int(o[4+i])%len(fuzzPools)])
	}
	if o[8]%4 == 0 {
		req.TrafficKey = "Local/x"
	}
	for i, p := range fuzzPorts {
		if o[9]&(1<<i) != 0 {
			req.Ports = append(req.Ports, p)
		}
	}
	if o[0]%8 == 4 {
		if ip := fuzzAddrs[int(o[10])%len(fuzzAddrs)]; slices.Contains(req.Families, FamilyOf(ip)) {
			req.IPs = []netip.Addr{ip}
		}
	}
	return req
}

// importAddrs decodes one or two addresses, not necessarily of distinct or
// wanted families: Import must refuse those.
func (o op) importAddrs() []netip.Addr {
	ips := []netip.Addr{fuzzAddrs[int(o[10])%len(fuzzAddrs)]}
	if o[11]%2 == 0 {
		ips = append(ips, fuzzAddrs[int(o[11]/2)%len(fuzzAddrs)])
	}
	return ips
}

func (o op) String() string {
	switch o.kind() {
	case opSetPools:
		return fmt.Sprintf("SetPools(%v)", o.layout())
	case opAssign:
		return fmt.Sprintf("Assign(%+v)", o.request())
	case opImport:
		return fmt.Sprintf("Import(%+v, %v)", o.request(), o.importAddrs())
	}
	return fmt.Sprintf("Release(%s)", o.service())
}

// seedOps returns n calls biased towards what finds bugs: mostly
// assignments, with sharing keys and single ports so that Services share
// addresses, and pools small enough to fill up.
func seedOps(r *rand.Rand, n int) []byte {
	var b []byte
	for range n {
		var o op
		for i := range o {
			o[i] = byte(r.Uint32())
		}
		switch x := r.IntN(100); {
		case x < 4:
			o[0] = 0
		case x < 60:
			o[0] = byte(1 + r.IntN(3))
		case x < 70:
			o[0] = 4
		case x < 85:
			o[0] = byte(5 + r.IntN(2))
		default:
			o[0] = 7
		}
		if r.IntN(5) > 0 {
			o[7] = byte(1 + r.IntN(2)) // k1 or k2
		}
		if r.IntN(5) > 0 {
			o[8] = 1 // Cluster
		}
		if r.IntN(10) > 2 {
			o[9] = 1 << r.IntN(4) // one port
		}
		b = append(b, o[:]...)
	}
	return b
}

var (
	fuzzLayouts = [][]Pool{
		{
			{Name: "a", AvoidBuggyIPs: true, Ranges: []Range{fr("10.0.0.250", "10.0.1.3"), fr("2001:db8::fe", "2001:db8::101")}},
			{Name: "b", Ranges: []Range{fr("10.0.2.0", "10.0.2.3"), fr("10.0.1.250", "10.0.1.251")}},
			{Name: "c", Ranges: []Range{fr("2001:db8:1::", "2001:db8:1::3")}},
			{Name: "d", Ranges: []Range{fr("10.0.3.7", "10.0.3.7")}},
		},
		{ // shrunk, moved, avoidance off
			{Name: "a", Ranges: []Range{fr("10.0.0.252", "10.0.1.1")}},
			{Name: "b", Ranges: []Range{fr("10.0.2.0", "10.0.2.1")}},
			{Name: "c", Ranges: []Range{fr("2001:db8:1::", "2001:db8:1::1"), fr("10.0.0.250", "10.0.0.251")}},
			{Name: "e", Ranges: []Range{fr("2001:db8::fe", "2001:db8::100"), fr("10.0.3.7", "10.0.3.7")}},
		},
		{ // grown
			{Name: "a", AvoidBuggyIPs: true, Ranges: []Range{fr("10.0.0.248", "10.0.1.7"), fr("10.0.2.0", "10.0.2.7")}},
			{Name: "c", Ranges: []Range{fr("2001:db8:1::", "2001:db8:1::7"), fr("2001:db8::f0", "2001:db8::10f")}},
			{Name: "d", AvoidBuggyIPs: true, Ranges: []Range{fr("10.0.3.0", "10.0.3.7")}},
		},
		nil,
	}
	fuzzAddrs = []netip.Addr{
		mustAddr("10.0.0.250"), mustAddr("10.0.0.255"), mustAddr("10.0.1.0"), mustAddr("10.0.1.1"),
		mustAddr("10.0.2.1"), mustAddr("10.0.1.250"), mustAddr("10.0.3.7"), mustAddr("10.0.3.0"),
		mustAddr("198.18.2.1"), mustAddr("::ffff:10.0.2.2"),
		mustAddr("2001:db8::fe"), mustAddr("2001:db8::100"), mustAddr("2001:db8:1::2"), mustAddr("2001:db8::1"),
	}
	fuzzServices = []string{"ns/s0", "ns/s1", "ns/s2", "ns/s3", "ns/s4", "ns/s5"}
	fuzzPools    = []string{"a", "b", "c", "d", "e", "gone"}
	fuzzKeys     = []string{"", "k1", "k2"}
	fuzzPorts    = []Port{{"TCP", 80}, {"TCP", 443}, {"UDP", 53}, {"UDP", 80}}
	fuzzFamilies = [][]Family{{IPv4}, {IPv6}, {IPv4, IPv6}, {IPv6, IPv4}}
)

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func fr(first, last string) Range { return Range{mustAddr(first), mustAddr(last)} }
