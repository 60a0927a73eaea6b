package members

import (
	"bytes"
	"fmt"
	"log"
	"net/netip"
	"strings"
	"time"

	"github.com/hashicorp/memberlist"
)

// tcpTimeout bounds a join or push/pull. A LAN answers in milliseconds; a
// peer that is down or frozen must not hold a join for memberlist's 10 s.
const tcpTimeout = time.Second

// label separates ironlb's gossip from any other memberlist cluster that
// might share the port and the key.
const label = "ironlb"

// create builds memberlist on the bind address only, with this package as
// its delegate, event, merge and log sink.
func (m *Members) create() (*memberlist.Memberlist, error) {
	o := m.opts
	logger := log.New(logWriter{m}, "", 0)
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{o.BindAddr.String()},
		BindPort:  o.Port,
		Logger:    logger,
	})
	if err != nil {
		return nil, fmt.Errorf("listen for gossip on %v: %w", netip.AddrPortFrom(o.BindAddr, uint16(o.Port)), err)
	}
	var transport memberlist.NodeAwareTransport = nt
	if m.wrap != nil {
		transport = m.wrap(nt)
	}
	c := memberlist.DefaultLANConfig()
	c.Name = o.NodeName
	c.Transport = transport
	c.BindAddr, c.BindPort = o.BindAddr.String(), o.Port
	c.AdvertiseAddr, c.AdvertisePort = o.BindAddr.String(), o.Port
	c.Label = label
	c.TCPTimeout = tcpTimeout
	c.ProbeInterval, c.ProbeTimeout = o.ProbeInterval, o.ProbeTimeout
	c.SuspicionMult, c.SuspicionMaxTimeoutMult = o.SuspicionMult, o.SuspicionMaxTimeoutMult
	c.GossipInterval, c.PushPullInterval = o.GossipInterval, o.PushPullInterval
	c.SecretKey = bytes.Clone(o.Key)
	d := delegate{m}
	c.Delegate, c.Events, c.Merge = d, d, d
	c.Logger = logger
	ml, err := memberlist.Create(c)
	if err != nil {
		_ = transport.Shutdown()
		return nil, fmt.Errorf("create member list: %w", err)
	}
	return ml, nil
}

// delegate receives memberlist's callbacks. memberlist calls them while it
// holds its own locks, so they only take m.mu and never call back into it.
type delegate struct{ m *Members }

// NodeMeta returns this node's metadata for its alive messages.
func (d delegate) NodeMeta(limit int) []byte {
	d.m.mu.Lock()
	defer d.m.mu.Unlock()
	if len(d.m.meta) > limit {
		return nil // SetMeta and Validate keep it within MetaMaxSize
	}
	return bytes.Clone(d.m.meta)
}

// The speakers exchange no data of their own.
func (delegate) NotifyMsg([]byte)                  {}
func (delegate) GetBroadcasts(int, int) [][]byte   { return nil }
func (delegate) LocalState(bool) []byte            { return nil }
func (delegate) MergeRemoteState(_ []byte, _ bool) {}

func (d delegate) NotifyJoin(n *memberlist.Node)   { d.set(n) }
func (d delegate) NotifyUpdate(n *memberlist.Node) { d.set(n) }

func (d delegate) NotifyLeave(n *memberlist.Node) {
	d.m.mu.Lock()
	delete(d.m.members, n.Name)
	d.m.mu.Unlock()
	poke(d.m.changes)
	poke(d.m.wake) // a peer that is no longer a member is rejoined
}

func (d delegate) set(n *memberlist.Node) {
	addr, _ := netip.AddrFromSlice(n.Addr)
	mem := Member{Addr: netip.AddrPortFrom(addr.Unmap(), n.Port), Meta: bytes.Clone(n.Meta)}
	d.m.mu.Lock()
	if !d.m.stopped {
		d.m.members[n.Name] = mem
	}
	d.m.mu.Unlock()
	poke(d.m.changes)
}

// NotifyMerge sees a peer's whole member list during a join, in either
// direction. If the peer does not hold this node alive, it may be answering
// for this node's IPs.
func (d delegate) NotifyMerge(peers []*memberlist.Node) error {
	for _, n := range peers {
		if n.Name == d.m.opts.NodeName && n.State != memberlist.StateAlive {
			d.m.alarm(reasonPeerSaid, "state", stateName(n.State))
		}
	}
	return nil
}

func stateName(s memberlist.NodeStateType) string {
	switch s {
	case memberlist.StateAlive:
		return "alive"
	case memberlist.StateSuspect:
		return "suspect"
	case memberlist.StateDead:
		return "dead"
	case memberlist.StateLeft:
		return "left"
	}
	return fmt.Sprint(int(s))
}

// refuteMark starts every log line memberlist v0.7.0 writes when it refutes
// a suspect, dead or conflicting alive message about this node (state.go).
// It reports refutations nowhere else; TestCutOff fails if the wording changes.
const refuteMark = "memberlist: Refuting "

// logWriter turns memberlist's log lines into logr calls and watches them
// for refutations.
type logWriter struct{ m *Members }

func (w logWriter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	level, text := "INFO", line
	if rest, ok := strings.CutPrefix(line, "["); ok {
		if l, t, ok := strings.Cut(rest, "] "); ok {
			level, text = l, t
		}
	}
	if strings.Contains(text, refuteMark) {
		w.m.alarm(reasonRefuted, "memberlist", text)
		return len(p), nil
	}
	if level == "DEBUG" {
		w.m.log.V(1).Info("Memberlist", "level", level, "text", text)
	} else {
		w.m.log.Info("Memberlist", "level", level, "text", text)
	}
	return len(p), nil
}
