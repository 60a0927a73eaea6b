package layer2

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/mdlayher/arp"
	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
)

// pipeConn is a net.PacketConn whose reads come from in and whose writes
// go to out; after Close every read fails with net.ErrClosed.
type pipeConn struct {
	in        chan frame
	out       chan frame
	closeOnce sync.Once
	closed    chan struct{}
}

type frame struct {
	b   []byte
	mac net.HardwareAddr
}

func newPipeConn() *pipeConn {
	return &pipeConn{in: make(chan frame), out: make(chan frame, 16), closed: make(chan struct{})}
}

func (c *pipeConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case f := <-c.in:
		return copy(b, f.b), &packet.Addr{HardwareAddr: f.mac}, nil
	case <-c.closed:
		return 0, nil, net.ErrClosed
	}
}

func (c *pipeConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	c.out <- frame{b: append([]byte(nil), b...), mac: addr.(*packet.Addr).HardwareAddr}
	return len(b), nil
}

func (c *pipeConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

func (c *pipeConn) LocalAddr() net.Addr              { return &packet.Addr{HardwareAddr: nodeMAC} }
func (c *pipeConn) SetDeadline(time.Time) error      { return nil }
func (c *pipeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *pipeConn) SetWriteDeadline(time.Time) error { return nil }

// TestServeSeam drives the readers through net.PacketConn doubles: junk
// does not stop them, requests for owned IPs are answered, and Close ends
// them.
func TestServeSeam(t *testing.T) {
	a, err := New(logr.Discard(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	arpConn, ndpConn := newPipeConn(), newPipeConn()
	l := newLink("eth0", 2, nodeMAC, arpConn, ndpConn, -1)
	l.answer.Store(&addrSet{owned4: {}, owned6: {}})
	a.serve(l)

	// ARP: junk, then a request.
	arpConn.in <- frame{b: []byte{1, 2, 3}, mac: clientMAC}
	req, err := arp.NewPacket(arp.OperationRequest, clientMAC, clientIP4, zeroMAC, owned4)
	if err != nil {
		t.Fatal(err)
	}
	b, err := req.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	arpConn.in <- frame{b: b, mac: clientMAC}
	got := <-arpConn.out
	var rep arp.Packet
	if err := rep.UnmarshalBinary(got.b); err != nil {
		t.Fatal(err)
	}
	if got.mac.String() != clientMAC.String() || rep.Operation != arp.OperationReply ||
		rep.SenderIP != owned4 || rep.SenderHardwareAddr.String() != nodeMAC.String() {
		t.Errorf("ARP reply %+v to %v, want %v at %v, to %v", rep, got.mac, owned4, nodeMAC, clientMAC)
	}

	// NDP: junk, our own packet, then a unicast NUD probe.
	probe := ipv6Packet(t, ns(owned6, nil), clientIP6, owned6, 255)
	ndpConn.in <- frame{b: []byte{0x60}, mac: clientMAC}
	ndpConn.in <- frame{b: probe, mac: nodeMAC}
	ndpConn.in <- frame{b: probe, mac: clientMAC}
	got = <-ndpConn.out
	if got.mac.String() != clientMAC.String() {
		t.Errorf("NA sent to %v, want %v", got.mac, clientMAC)
	}
	checkAdvertisement(t, got.b, clientIP6, &ndp.NeighborAdvertisement{
		Solicited: true, Override: true, TargetAddress: owned6,
		Options: []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: nodeMAC}},
	})

	l.close()
	done := make(chan struct{})
	go func() {
		a.readers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the readers did not stop after Close")
	}
	s := a.Stats()
	if s.ARPRequestsAnswered != 1 || s.NDPSolicitationsAnswered != 1 || len(s.Errors) != 0 {
		t.Errorf("Stats = %+v, want one answer of each and no errors", s)
	}
	if len(arpConn.out)+len(ndpConn.out) != 0 {
		t.Error("more was sent than the two answers")
	}
}
