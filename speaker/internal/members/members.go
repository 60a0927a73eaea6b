package members

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/hashicorp/memberlist"
)

const (
	// leaveTimeout bounds the wait for the leave broadcast when Run stops.
	leaveTimeout = time.Second
	// updateTimeout bounds the wait for a metadata broadcast.
	updateTimeout = time.Second
)

// Member is a live speaker.
type Member struct {
	Addr netip.AddrPort
	Meta []byte
}

// Members tracks the live speakers through memberlist. See the package
// documentation.
type Members struct {
	log     logr.Logger
	opts    Options
	changes chan struct{} // to the caller: Alive or Trusted may have changed
	wake    chan struct{} // to Run's loop: look again now

	// life serialises the calls that memberlist forbids after Shutdown
	// (Leave panics) with Shutdown itself.
	life sync.Mutex

	// mu guards the fields below. It is never held while calling into
	// memberlist, whose delegates take it while memberlist holds its own
	// locks.
	mu       sync.Mutex
	ml       *memberlist.Memberlist // nil before Run and after shutdown
	ran      bool
	stopped  bool // shut down: ignore late delegate calls
	meta     []byte
	peers    []netip.AddrPort  // the other speakers, sorted, without this one
	members  map[string]Member // memberlist's live and suspect members, this node too
	trust    trust
	reported bool // Trusted as the loop last saw it

	// wrap lets tests put a double of the network between memberlist and
	// its transport.
	wrap func(memberlist.NodeAwareTransport) memberlist.NodeAwareTransport
}

// New validates o and returns a Members that does nothing until Run.
func New(log logr.Logger, o Options) (*Members, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("members options: %w", err)
	}
	o = o.withDefaults()
	o.Key = bytes.Clone(o.Key)
	return &Members{
		log:     log,
		opts:    o,
		changes: make(chan struct{}, 1),
		wake:    make(chan struct{}, 1),
		meta:    bytes.Clone(o.Meta),
		members: make(map[string]Member),
		trust:   trust{stallAfter: o.StallAfter},
	}, nil
}

// Changes is poked whenever Alive or Trusted may have changed. Receivers
// read the whole state again; a poke carries no data.
func (m *Members) Changes() <-chan struct{} { return m.changes }

// Trusted reports whether this node may count itself alive, and so answer
// ARP/NDP for the IPs it owns. It also checks for a stall itself, so the
// first call after the process resumes from a freeze is already false.
func (m *Members) Trusted() bool {
	now := m.opts.Clock.Now()
	m.mu.Lock()
	gap, stalled := m.trust.beat(now)
	ok := m.trust.ok(now, m.factsLocked())
	m.mu.Unlock()
	if stalled {
		m.alarmed(reasonStall, "gap", gap)
	}
	return ok
}

// Alive returns the live speakers by node name: memberlist's alive and
// suspect members, with this node only when it is Trusted.
func (m *Members) Alive() map[string]Member {
	trusted := m.Trusted()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]Member, len(m.members))
	for name, mem := range m.members {
		if name == m.opts.NodeName && !trusted {
			continue
		}
		out[name] = Member{Addr: mem.Addr, Meta: bytes.Clone(mem.Meta)}
	}
	return out
}

// SetPeers sets the addresses of the other speakers. Run joins those that are
// not members, and keeps retrying them. This node's own address is ignored.
func (m *Members) SetPeers(addrs []netip.AddrPort) {
	self := netip.AddrPortFrom(m.opts.BindAddr, uint16(m.opts.Port))
	peers := make([]netip.AddrPort, 0, len(addrs))
	for _, a := range addrs {
		a = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
		if a.IsValid() && a.Port() != 0 && a != self {
			peers = append(peers, a)
		}
	}
	slices.SortFunc(peers, netip.AddrPort.Compare)
	peers = slices.Compact(peers)
	m.mu.Lock()
	same := m.trust.peersSet && slices.Equal(m.peers, peers)
	m.peers = peers
	m.trust.peersSet = true
	m.mu.Unlock()
	// The speaker calls this on every pass; telling it of a change that
	// did not happen would make it run another pass, forever.
	if same {
		return
	}
	poke(m.wake)
	poke(m.changes)
}

// SetMeta replaces this node's metadata and gossips it.
func (m *Members) SetMeta(meta []byte) error {
	if len(meta) > memberlist.MetaMaxSize {
		return fmt.Errorf("node metadata of %d bytes exceeds %d", len(meta), memberlist.MetaMaxSize)
	}
	m.mu.Lock()
	m.meta = bytes.Clone(meta)
	ml, left := m.ml, m.trust.left
	m.mu.Unlock()
	if ml == nil || left {
		return nil // Create reads the metadata; a left node has none to tell
	}
	if err := ml.UpdateNode(updateTimeout); err != nil {
		return fmt.Errorf("gossip node metadata: %w", err)
	}
	return nil
}

// Leave tells the other members that this node is leaving, so that they take
// over at once, and makes it untrusted for good. The speaker calls it on
// SIGTERM before it stops answering. It waits at most timeout for the
// broadcast; calling it again does nothing.
func (m *Members) Leave(timeout time.Duration) error {
	m.life.Lock()
	defer m.life.Unlock()
	m.mu.Lock()
	already := m.trust.left
	m.trust.left = true
	ml := m.ml
	m.mu.Unlock()
	if already {
		return nil
	}
	poke(m.changes)
	poke(m.wake)
	if ml == nil {
		return nil
	}
	m.log.Info("Leaving the member list")
	if err := ml.Leave(timeout); err != nil {
		return fmt.Errorf("leave member list: %w", err)
	}
	return nil
}

// Run creates the member list, joins and rejoins the peers, watches for
// stalls, and on the end of ctx leaves and shuts down before it returns.
func (m *Members) Run(ctx context.Context) error {
	m.mu.Lock()
	ran, left := m.ran, m.trust.left
	m.ran = true
	m.mu.Unlock()
	if ran {
		return errors.New("members: Run called twice")
	}
	if left {
		return nil
	}
	ml, err := m.create()
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.ml = ml
	m.trust.start(m.opts.Clock.Now())
	m.mu.Unlock()
	m.log.Info("Joined the member list", "node", m.opts.NodeName, "addr", ml.LocalNode().Address())

	var wg sync.WaitGroup
	m.loop(ctx, &wg)

	if err := m.Leave(leaveTimeout); err != nil {
		// No other speaker took the leave in time: usually they are all
		// stopping at once (the lab going down, a DaemonSet deleted), so
		// none is left to. Any that remain find this node dead by
		// probing, as after a crash; nothing is lost.
		m.log.Info("Leave not confirmed before shutdown; the other speakers will find this node dead by probing", "error", err.Error())
	}
	m.shutdown()
	wg.Wait()
	return nil
}

// shutdown stops memberlist without leaving; the others will find this node
// dead. Run calls it after Leave; tests call it alone to simulate a crash.
func (m *Members) shutdown() {
	m.life.Lock()
	defer m.life.Unlock()
	m.mu.Lock()
	ml := m.ml
	m.ml = nil
	m.stopped = true
	m.trust.running = false
	clear(m.members)
	m.mu.Unlock()
	if ml == nil {
		return
	}
	if err := ml.Shutdown(); err != nil {
		m.log.Error(err, "Shutting down the member list")
	}
	poke(m.changes)
	poke(m.wake)
}

// alarmed tells of a loss of trust already recorded: the caller reads the
// state again and the loop starts a join.
func (m *Members) alarmed(reason string, kv ...any) {
	m.log.Info("Trust lost", append([]any{"reason", reason}, kv...)...)
	poke(m.changes)
	poke(m.wake)
}

// alarm records a loss of trust and tells of it.
func (m *Members) alarm(reason string, kv ...any) {
	now := m.opts.Clock.Now()
	m.mu.Lock()
	if m.trust.running {
		m.trust.alarm(now, reason)
	}
	m.mu.Unlock()
	m.alarmed(reason, kv...)
}

// factsLocked gathers the facts for trust; m.mu must be held.
func (m *Members) factsLocked() facts {
	others := false
	for name := range m.members {
		if name != m.opts.NodeName {
			others = true
			break
		}
	}
	return facts{
		others: others,
		peers:  len(m.peers) > 0,
		quiet:  suspicionFloor(m.opts.SuspicionMult, len(m.members), m.opts.ProbeInterval),
		alone:  m.opts.AloneAfter,
	}
}

func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
