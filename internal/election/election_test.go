package election_test

import (
	"hash/fnv"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ironlb/ironlb/internal/election"
)

// TestScoreGolden pins the score function. Speakers of two releases run side
// by side during a rolling upgrade; if the new release scored differently,
// old and new speakers would elect different owners for the same IP and two
// nodes would answer ARP/NDP for it until the upgrade finished. A change here
// is a protocol change, not a refactoring. The values were cross-checked with
// an independent implementation of the documented formula.
func TestScoreGolden(t *testing.T) {
	tests := []struct {
		node string
		ip   string
		want uint64
	}{
		{"node1", "198.51.100.200", 0x41719f2d77540ef2},
		{"node2", "198.51.100.200", 0x85b3861693265901},
		{"node3", "198.51.100.200", 0x82925d1cc911b325},
		{"node1", "2001:db8:200::1", 0xf98e77c695063dd8},
		{"ip-10-0-1-7.eu-west-1.compute.internal", "203.0.113.7", 0xa4ddb65301a68b31},
		{"", "::", 0xa5e0dba6c385580a},
	}
	for _, tt := range tests {
		if got := election.Score(tt.node, netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("Score(%q, %s) = %#016x, want %#016x", tt.node, tt.ip, got, tt.want)
		}
	}
}

// TestScoreMatchesSpec checks the hand-written FNV-1a against hash/fnv, so
// the formula in the Score documentation is what the code does and another
// tool can reproduce it from the documentation alone.
func TestScoreMatchesSpec(t *testing.T) {
	for _, node := range []string{"", "n", "node1", "worker-17.example.com"} {
		for _, s := range []string{"0.0.0.0", "198.51.100.200", "255.255.255.255", "::", "2001:db8:200::1", "fe80::1%eth0"} {
			ip := netip.MustParseAddr(s)
			h := fnv.New64a()
			a := ip.As16()
			h.Write(a[:])
			h.Write([]byte(node))
			if got, want := election.Score(node, ip), murmur3Fmix64(h.Sum64()); got != want {
				t.Errorf("Score(%q, %s) = %#016x, want fmix64(FNV-1a-64) = %#016x", node, ip, got, want)
			}
		}
	}
}

// murmur3Fmix64 is the finalizer from MurmurHash3 (fmix64), written from its
// published description.
func murmur3Fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

// An IPv4 address may reach the speaker as 198.18.2.1 or ::ffff:198.18.2.1
// (a status field, a dual-stack listener); both must elect the same node.
func TestIPv4MappedElectsSameOwner(t *testing.T) {
	nodes := fleet(50)
	for i := range 256 {
		v4 := netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})
		mapped := netip.AddrFrom16(v4.As16())
		if !mapped.Is4In6() {
			t.Fatalf("%s is not IPv4-mapped", mapped)
		}
		if diff := cmp.Diff(election.Rank(v4, nodes), election.Rank(mapped, nodes)); diff != "" {
			t.Fatalf("Rank(%s) vs Rank(%s) (-v4 +mapped):\n%s", v4, mapped, diff)
		}
	}
}

func TestOwner(t *testing.T) {
	ip := netip.MustParseAddr("198.51.100.200")
	tests := []struct {
		name       string
		ip         netip.Addr
		candidates []string
		want       string
		wantOK     bool
	}{
		{name: "nil candidates", ip: ip},
		{name: "no candidates", ip: ip, candidates: []string{}},
		{name: "only empty names", ip: ip, candidates: []string{"", ""}},
		{name: "invalid IP", ip: netip.Addr{}, candidates: []string{"node1"}},
		{name: "single", ip: ip, candidates: []string{"node1"}, want: "node1", wantOK: true},
		{name: "single among empty names", ip: ip, candidates: []string{"", "node1", ""}, want: "node1", wantOK: true},
		// The golden scores above rank node2 > node3 > node1 for this IP.
		{name: "highest score", ip: ip, candidates: []string{"node1", "node2", "node3"}, want: "node2", wantOK: true},
		{name: "highest score reordered", ip: ip, candidates: []string{"node3", "node1", "node2"}, want: "node2", wantOK: true},
		{name: "duplicates", ip: ip, candidates: []string{"node1", "node3", "node1", "node3"}, want: "node3", wantOK: true},
		{name: "IPv4-mapped", ip: netip.MustParseAddr("::ffff:198.51.100.200"), candidates: []string{"node1", "node2", "node3"}, want: "node2", wantOK: true},
		{name: "IPv6", ip: netip.MustParseAddr("2001:db8:200::1"), candidates: []string{"node3", "node2", "node1"}, want: "node1", wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := election.Owner(tt.ip, tt.candidates)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Owner(%s, %q) = %q, %v; want %q, %v", tt.ip, tt.candidates, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestRank(t *testing.T) {
	ip := netip.MustParseAddr("198.51.100.200")
	tests := []struct {
		name       string
		ip         netip.Addr
		candidates []string
		want       []string
	}{
		{name: "nil candidates", ip: ip},
		{name: "only empty names", ip: ip, candidates: []string{""}},
		{name: "invalid IP", ip: netip.Addr{}, candidates: []string{"node1"}},
		{name: "single", ip: ip, candidates: []string{"node1"}, want: []string{"node1"}},
		{name: "by score", ip: ip, candidates: []string{"node1", "node2", "node3"}, want: []string{"node2", "node3", "node1"}},
		{name: "duplicates and empty names removed", ip: ip, candidates: []string{"node1", "", "node2", "node1", "node3", "node2"}, want: []string{"node2", "node3", "node1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, election.Rank(tt.ip, tt.candidates)); diff != "" {
				t.Errorf("Rank(%s, %q) (-want +got):\n%s", tt.ip, tt.candidates, diff)
			}
		})
	}
}

// The score must depend on every byte of the IP, the IPv6 ones included:
// otherwise a whole /64 of service IPs would land on one node.
func TestScoreUsesEveryIPByte(t *testing.T) {
	base := netip.MustParseAddr("2001:db8::1")
	want := election.Score("node1", base)
	for i := range 16 {
		a := base.As16()
		a[i] ^= 0x80
		if got := election.Score("node1", netip.AddrFrom16(a)); got == want {
			t.Errorf("flipping byte %d of %s did not change the score", i, base)
		}
	}
}
