package layer2

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// maxDowns bounds how many ENETDOWN in a row a reader tolerates (see
// keepReading) before it gives up.
const maxDowns = 8

// serve starts l's readers; Run waits for them.
func (a *Announcer) serve(l *link) {
	a.readers.Go(func() { a.serveARP(l) })
	a.readers.Go(func() { a.serveNDP(l) })
}

// serveARP decodes with arp.Packet rather than reading through arp.Client:
// Client.Read returns a malformed packet's decoding error just like a
// socket error, and a loop that must stop on socket errors would then let
// any host on the LAN stop it with one short frame.
func (a *Announcer) serveARP(l *link) {
	buf := make([]byte, 128) // an Ethernet ARP payload is 28 bytes
	downs := 0
	for {
		n, _, err := l.arp.ReadFrom(buf)
		if err != nil {
			if a.keepReading(l, err, &downs) {
				continue
			}
			return
		}
		downs = 0
		var req arp.Packet
		if req.UnmarshalBinary(buf[:n]) != nil {
			continue
		}
		rep, ok := arpReply(&req, l.mac, l.owns)
		if !ok {
			continue
		}
		b, err := rep.MarshalBinary()
		if err == nil {
			err = l.write(l.arp, b, rep.TargetHardwareAddr)
		}
		a.sent(l, err, &a.arpAnswered, "Answering ARP failed", rep.SenderIP)
	}
}

func (a *Announcer) serveNDP(l *link) {
	buf := make([]byte, 1500)
	downs := 0
	for {
		n, from, err := l.ndp.ReadFrom(buf)
		if err != nil {
			if a.keepReading(l, err, &downs) {
				continue
			}
			return
		}
		downs = 0
		var frameSrc net.HardwareAddr
		if pa, ok := from.(*packet.Addr); ok {
			frameSrc = pa.HardwareAddr
		}
		if bytes.Equal(frameSrc, l.mac) {
			continue // our own packet
		}
		s, err := parseSolicitation(buf[:n])
		if err != nil || !l.owns(s.target) {
			continue
		}
		b, to, err := reply(s, frameSrc, l.mac)
		if err == nil {
			err = l.write(l.ndp, b, to)
		}
		a.sent(l, err, &a.ndpAnswered, "Answering NDP failed", s.target)
	}
}

// keepReading decides what a read error means. After close, any error
// (EBADF, net.ErrClosed...) ends the reader. Before, ENETDOWN is the one
// error a packet socket reports, once, when its interface goes down; the
// next read blocks until the interface is back, so reading on cannot spin,
// and reconcile closes the link if it stays down. Anything else ends the
// reader and asks Run to reopen the link later.
func (a *Announcer) keepReading(l *link, err error, downs *int) bool {
	if l.closed.Load() {
		return false
	}
	if errors.Is(err, unix.ENETDOWN) && *downs < maxDowns {
		*downs++
		return true
	}
	a.errMu.Lock()
	a.errs[l.name]++
	a.errMu.Unlock()
	a.log.Error(err, "Reading from a packet socket failed; will reopen", "interface", l.name)
	l.failed.Store(true)
	poke(a.broken)
	return false
}

// sent counts the outcome of one send.
func (a *Announcer) sent(l *link, err error, ok *atomic.Uint64, msg string, ip netip.Addr) {
	switch {
	case err == nil:
		ok.Add(1)
	case !errors.Is(err, errLinkClosed):
		a.fail(l.name, msg, err, "ip", ip)
	}
}

// announce sends one gratuitous ARP or unsolicited NA for ip on l.
func (a *Announcer) announce(l *link, ip netip.Addr) {
	if ip.Is4() {
		p, err := gratuitousARP(l.mac, ip)
		var b []byte
		if err == nil {
			b, err = p.MarshalBinary()
		}
		if err == nil {
			err = l.write(l.arp, b, broadcastMAC)
		}
		a.sent(l, err, &a.garpSent, "Sending gratuitous ARP failed", ip)
		return
	}
	b, to, err := unsolicited(ip, l.mac)
	if err == nil {
		err = l.write(l.ndp, b, to)
	}
	a.sent(l, err, &a.naSent, "Sending unsolicited NA failed", ip)
}

// sendLoop sends the bursts until ctx ends. One goroutine and one clock
// timer serve every burst.
func (a *Announcer) sendLoop(ctx context.Context) {
	type send struct {
		l  *link
		ip netip.Addr
	}
	for {
		a.mu.Lock()
		var sends []send
		for _, p := range a.sched.due(a.clock.Now()) {
			if l := a.links[p.ifname]; l != nil && l.owns(p.ip) {
				sends = append(sends, send{l, p.ip})
			}
		}
		next, pending := a.sched.next()
		a.mu.Unlock()
		for _, s := range sends {
			a.announce(s.l, s.ip)
		}

		if !pending {
			select {
			case <-ctx.Done():
				return
			case <-a.wake:
			}
			continue
		}
		// Measured from now, not from the top of the loop: if the clock
		// moved meanwhile, d <= 0 and the loop goes round again.
		d := next.Sub(a.clock.Now())
		if d <= 0 {
			continue
		}
		t := a.clock.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-a.wake:
		case <-t.C():
		}
		t.Stop()
	}
}
