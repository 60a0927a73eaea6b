package members

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

// cutTransport is memberlist's real transport with a switch that cuts this
// member off the network: while cut, it drops every packet both ways, fails
// every dial and closes every incoming connection.
type cutTransport struct {
	memberlist.NodeAwareTransport
	cut     atomic.Bool
	packets chan *memberlist.Packet
	streams chan net.Conn
	stop    chan struct{}
	once    sync.Once
}

var errCut = errors.New("cut off the network by the test")

func newCutTransport(inner memberlist.NodeAwareTransport) *cutTransport {
	c := &cutTransport{
		NodeAwareTransport: inner,
		packets:            make(chan *memberlist.Packet),
		streams:            make(chan net.Conn),
		stop:               make(chan struct{}),
	}
	go func() {
		for {
			select {
			case p := <-inner.PacketCh():
				if c.cut.Load() {
					continue
				}
				select {
				case c.packets <- p:
				case <-c.stop:
					return
				}
			case <-c.stop:
				return
			}
		}
	}()
	go func() {
		for {
			select {
			case conn := <-inner.StreamCh():
				if c.cut.Load() {
					_ = conn.Close()
					continue
				}
				select {
				case c.streams <- conn:
				case <-c.stop:
					_ = conn.Close()
					return
				}
			case <-c.stop:
				return
			}
		}
	}()
	return c
}

func (c *cutTransport) PacketCh() <-chan *memberlist.Packet { return c.packets }
func (c *cutTransport) StreamCh() <-chan net.Conn           { return c.streams }

func (c *cutTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	if c.cut.Load() {
		return time.Now(), nil // lost on the way
	}
	return c.NodeAwareTransport.WriteTo(b, addr)
}

func (c *cutTransport) WriteToAddress(b []byte, addr memberlist.Address) (time.Time, error) {
	if c.cut.Load() {
		return time.Now(), nil
	}
	return c.NodeAwareTransport.WriteToAddress(b, addr)
}

func (c *cutTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	if c.cut.Load() {
		return nil, errCut
	}
	return c.NodeAwareTransport.DialTimeout(addr, timeout)
}

func (c *cutTransport) DialAddressTimeout(addr memberlist.Address, timeout time.Duration) (net.Conn, error) {
	if c.cut.Load() {
		return nil, errCut
	}
	return c.NodeAwareTransport.DialAddressTimeout(addr, timeout)
}

// Shutdown stops the inner transport first: its listeners block until
// somebody takes what they read, and memberlist reads on until this returns.
func (c *cutTransport) Shutdown() error {
	err := c.NodeAwareTransport.Shutdown()
	c.once.Do(func() { close(c.stop) })
	return err
}

// TestCutOff cuts c off the network until a and b declare it dead, then
// heals the cut. c was never frozen, so only memberlist's news that it was
// declared dead can make it stand down; it must, until a and b see it alive
// again.
func TestCutOff(t *testing.T) {
	ports := freePorts(t, 3)
	nodes := make([]*testNode, 3)
	var transport *cutTransport
	for i, name := range []string{"a", "b", "c"} {
		nodes[i] = newNode(t, name, ports[i], Options{})
	}
	a, b, c := nodes[0], nodes[1], nodes[2]
	c.m.wrap = func(inner memberlist.NodeAwareTransport) memberlist.NodeAwareTransport {
		transport = newCutTransport(inner)
		return transport
	}
	for _, n := range nodes {
		n.m.SetPeers([]netip.AddrPort{a.addr, b.addr, c.addr})
		n.start(t)
	}
	waitFor(t, "every member to see a, b and c", sees(nodes, "a", "b", "c"))

	transport.cut.Store(true)
	took := waitFor(t, "a and b to declare c dead", sees([]*testNode{a, b}, "a", "b"))
	t.Logf("c cut off; a and b declared it dead after %v", took)
	waitFor(t, "c to declare a and b dead", func() bool { return len(c.m.memberlistMembers()) == 1 })
	// c cannot tell a partition from the death of its peers; as the last
	// survivor it answers on.
	waitFor(t, "c to trust itself while cut off", c.m.Trusted)

	healedAt := c.logs.len()
	transport.cut.Store(false)
	healed := time.Now()
	took = waitFor(t, "c to learn it was declared dead", func() bool { return !c.m.Trusted() })
	t.Logf("the cut healed; c stood down after %v (reason: %s)", took, c.m.reason())
	waitFor(t, "c to trust itself again", c.m.Trusted)
	for _, n := range []*testNode{a, b} {
		if _, ok := n.m.memberlistMembers()["c"]; !ok {
			t.Errorf("c trusts itself again before %s sees it alive", n.name)
		}
	}
	t.Logf("c trusted itself again %v after the cut healed", time.Since(healed))
	// A loaded test machine may also stall c, so look for the refutation
	// rather than for the absence of other reasons.
	if !c.logs.containsSince(healedAt, reasonRefuted) {
		t.Errorf("c never logged %q after the cut healed: has memberlist's refutation log line changed from %q?", reasonRefuted, refuteMark)
	}
	waitFor(t, "every member to see a, b and c again", sees(nodes, "a", "b", "c"))
}
