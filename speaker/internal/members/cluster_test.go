package members

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestJoinAndMeta(t *testing.T) {
	nodes := cluster(t, []string{"a", "b", "c"}, func(i int, o *Options) {
		o.Meta = []byte{byte('0' + i)}
	})
	took := waitFor(t, "every member to see a, b and c", sees(nodes, "a", "b", "c"))
	t.Logf("3 members joined and trusted in %v", took)

	a, b, c := nodes[0], nodes[1], nodes[2]
	want := map[string]Member{
		"a": {Addr: a.addr, Meta: []byte("0")},
		"b": {Addr: b.addr, Meta: []byte("1")},
		"c": {Addr: c.addr, Meta: []byte("2")},
	}
	if diff := cmp.Diff(want, b.m.Alive(), cmpopts.EquateComparable(netip.AddrPort{})); diff != "" {
		t.Errorf("b.Alive() (-want +got):\n%s", diff)
	}

	drain(b.m.Changes())
	if err := a.m.SetMeta([]byte("new")); err != nil {
		t.Fatalf("SetMeta: %v", err)
	}
	waitFor(t, "b to see a's new metadata", func() bool {
		return bytes.Equal(b.m.Alive()["a"].Meta, []byte("new"))
	})
	select {
	case <-b.m.Changes():
	default:
		t.Error("b's Changes was not poked by a's new metadata")
	}
	if err := a.m.SetMeta(make([]byte, 513)); err == nil {
		t.Error("SetMeta accepted 513 bytes")
	}
}

func TestCleanLeave(t *testing.T) {
	nodes := cluster(t, []string{"a", "b", "c"}, nil)
	waitFor(t, "every member to see a, b and c", sees(nodes, "a", "b", "c"))

	c := nodes[2]
	start := time.Now()
	c.cancel()
	took := waitFor(t, "a and b to drop c", sees(nodes[:2], "a", "b"))
	t.Logf("c stopped cleanly; a and b dropped it after %v", took)
	if err := <-c.done; err != nil {
		t.Errorf("c: Run: %v", err)
	}
	c.done <- nil // for the cleanup
	t.Logf("c's Run returned after %v", time.Since(start))
	if c.m.Trusted() {
		t.Error("c still trusts itself after it left")
	}
	if err := c.m.Leave(time.Second); err != nil {
		t.Errorf("a second Leave failed: %v", err)
	}
}

func TestCrash(t *testing.T) {
	nodes := cluster(t, []string{"a", "b", "c"}, nil)
	waitFor(t, "every member to see a, b and c", sees(nodes, "a", "b", "c"))

	// Shutdown without Leave: c's sockets close and it says nothing, as
	// if its process had been killed.
	nodes[2].m.shutdown()
	// Alive lists a and b themselves only while they trust themselves: the
	// survivors must not stand down for good.
	took := waitFor(t, "a and b to declare c dead", sees(nodes[:2], "a", "b"))
	t.Logf("c crashed; a and b declared it dead after %v", took)
}

func TestSingleNode(t *testing.T) {
	n := cluster(t, []string{"solo"}, nil)[0]
	took := waitFor(t, "a lone speaker to trust itself", sees([]*testNode{n}, "solo"))
	t.Logf("a lone speaker trusted itself after %v", took)
}

func TestNotTrustedBeforeSetPeers(t *testing.T) {
	n := newNode(t, "a", freePorts(t, 1)[0], Options{AloneAfter: 200 * time.Millisecond})
	n.start(t)
	waitFor(t, "memberlist to start", func() bool { return n.m.memberlist() != nil })
	// Longer than any wait trust needs without peers.
	time.Sleep(time.Second)
	if n.m.Trusted() {
		t.Fatal("trusted before SetPeers was called")
	}
	n.m.SetPeers(nil)
	waitFor(t, "trust once peers are known to be none", n.m.Trusted)
}

func TestLeaveBeforeRun(t *testing.T) {
	n := newNode(t, "a", freePorts(t, 1)[0], Options{})
	if err := n.m.Leave(time.Second); err != nil {
		t.Fatalf("Leave before Run: %v", err)
	}
	if err := n.m.Run(t.Context()); err != nil {
		t.Errorf("Run after Leave = %v, want nil at once", err)
	}
	if err := n.m.Run(t.Context()); err == nil {
		t.Error("a second Run did not fail")
	}
	if n.m.Trusted() {
		t.Error("trusted after Leave")
	}
}

func drain(ch <-chan struct{}) {
	select {
	case <-ch:
	default:
	}
}
