package members

import (
	"net/netip"
	"testing"

	"github.com/go-logr/logr"
)

// The speaker passes the peers on every pass and runs a pass on every
// change: an unchanged list must not count as a change, or the two would
// drive each other forever.
func TestSetPeersTellsOnlyOfChanges(t *testing.T) {
	m, err := New(logr.Discard(), Options{NodeName: "node1", BindAddr: netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	changed := func() bool {
		select {
		case <-m.Changes():
			return true
		default:
			return false
		}
	}
	a := netip.MustParseAddrPort("127.0.0.2:7946")
	b := netip.MustParseAddrPort("127.0.0.3:7946")
	steps := []struct {
		peers []netip.AddrPort
		want  bool
	}{
		{nil, true}, // the first call, even empty, is news
		{nil, false},
		{[]netip.AddrPort{a, b}, true},
		{[]netip.AddrPort{b, a, a}, false}, // same set
		{[]netip.AddrPort{a}, true},
	}
	for i, s := range steps {
		changed() // drop what came before
		m.SetPeers(s.peers)
		if got := changed(); got != s.want {
			t.Errorf("step %d: SetPeers(%v) told of a change: %v, want %v", i, s.peers, got, s.want)
		}
	}
}
