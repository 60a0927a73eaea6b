package layer2

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
)

// defaultBursts are the offsets of the gratuitous packets after a takeover.
// The first goes at once; the others cover receivers that ignore an update
// to an entry younger than their locktime (1 s on Linux, for packets it
// does not take as gratuitous) and packets lost on the way.
func defaultBursts() []time.Duration {
	return []time.Duration{0, 500 * time.Millisecond, 1100 * time.Millisecond, 2200 * time.Millisecond}
}

// Options configure an Announcer.
type Options struct {
	// Clock schedules the bursts; default clock.RealClock{}.
	Clock clock.WithTicker
	// Bursts are the offsets of the gratuitous packets after an IP starts
	// being answered on an interface, in increasing order; default
	// {0, 500ms, 1100ms, 2200ms}. An empty, non-nil slice sends none.
	Bursts []time.Duration
}

func (o *Options) validate() error {
	var errs []error
	for i, d := range o.Bursts {
		if d < 0 {
			errs = append(errs, fmt.Errorf("burst offset %v is negative", d))
		}
		if i > 0 && d < o.Bursts[i-1] {
			errs = append(errs, fmt.Errorf("burst offset %v comes before %v", d, o.Bursts[i-1]))
		}
	}
	return errors.Join(errs...)
}

// Stats are counters since the Announcer was created.
type Stats struct {
	ARPRequestsAnswered      uint64
	NDPSolicitationsAnswered uint64
	GratuitousARPSent        uint64
	UnsolicitedNASent        uint64
	// Errors counts failed socket operations per interface: opening,
	// sending, joining a group, reading.
	Errors map[string]uint64
}

// addrSet is a set of IPs. Sets are never changed once published: Apply
// builds new ones, so readers use them without a lock.
type addrSet = map[netip.Addr]struct{}

// Announcer answers ARP and NDP for the IPs it is given. Build it with New.
type Announcer struct {
	log   logr.Logger
	clock clock.WithTicker

	changed chan struct{} // the desired state changed: reconcile
	broken  chan struct{} // a reader failed: reconcile
	wake    chan struct{} // a burst was added: the sender plans again
	running atomic.Bool

	// mu guards desired, links and sched, and the answer sets and groups
	// of the links.
	mu      sync.Mutex
	desired map[string]addrSet // interface name -> IPs
	links   map[string]*link   // open interfaces, by name
	sched   *schedule

	readers sync.WaitGroup

	arpAnswered, ndpAnswered, garpSent, naSent atomic.Uint64
	errMu                                      sync.Mutex
	errs                                       map[string]uint64
}

// New validates o and returns an Announcer. It starts nothing.
func New(log logr.Logger, o Options) (*Announcer, error) {
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("layer2 options: %w", err)
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Bursts == nil {
		o.Bursts = defaultBursts()
	}
	return &Announcer{
		log:     log,
		clock:   o.Clock,
		changed: make(chan struct{}, 1),
		broken:  make(chan struct{}, 1),
		wake:    make(chan struct{}, 1),
		desired: map[string]addrSet{},
		links:   map[string]*link{},
		sched:   newSchedule(slices.Clone(o.Bursts)),
		errs:    map[string]uint64{},
	}, nil
}

// Apply sets the full desired state: every IP this node owns, with the
// interfaces it must be answered on. IPs that start being answered on an
// interface get a gratuitous burst; IPs that are no longer named stop
// being answered before Apply returns, and what is left of their burst is
// dropped. Interfaces that no IP names have their sockets closed by Run.
// Apply is safe from any goroutine, before or during Run, and cheap when
// nothing changed.
func (a *Announcer) Apply(owned map[netip.Addr][]string) {
	want := byInterface(owned)
	a.mu.Lock()
	if maps.EqualFunc(want, a.desired, maps.Equal) {
		a.mu.Unlock()
		return
	}
	a.desired = want
	for _, l := range a.links {
		a.syncLocked(l)
	}
	a.mu.Unlock()
	poke(a.changed)
}

// byInterface inverts owned, dropping invalid addresses and empty names.
func byInterface(owned map[netip.Addr][]string) map[string]addrSet {
	want := map[string]addrSet{}
	for ip, ifnames := range owned {
		ip = ip.Unmap().WithZone("")
		if !ip.IsValid() {
			continue
		}
		for _, name := range ifnames {
			if name == "" {
				continue
			}
			if want[name] == nil {
				want[name] = addrSet{}
			}
			want[name][ip] = struct{}{}
		}
	}
	return want
}

// syncLocked makes l answer exactly the IPs desired on it: new ones get a
// burst and, for IPv6, their solicited-node group; removed ones lose both.
func (a *Announcer) syncLocked(l *link) {
	want, old := a.desired[l.name], *l.answer.Load()
	now := a.clock.Now()
	added := false
	for ip := range want {
		if _, ok := old[ip]; ok {
			continue
		}
		a.sched.add(pair{ip: ip, ifname: l.name}, now)
		added = true
		if ip.Is6() {
			if err := l.join(ip); err != nil {
				a.fail(l.name, "Joining the solicited-node group failed", err, "ip", ip)
			}
		}
	}
	for ip := range old {
		if _, ok := want[ip]; ok {
			continue
		}
		a.sched.cancel(pair{ip: ip, ifname: l.name})
		if ip.Is6() {
			if err := l.leave(ip); err != nil {
				a.fail(l.name, "Leaving the solicited-node group failed", err, "ip", ip)
			}
		}
	}
	l.answer.Store(&want)
	if added {
		poke(a.wake)
	}
}

// Stats returns the counters.
func (a *Announcer) Stats() Stats {
	a.errMu.Lock()
	errs := maps.Clone(a.errs)
	a.errMu.Unlock()
	return Stats{
		ARPRequestsAnswered:      a.arpAnswered.Load(),
		NDPSolicitationsAnswered: a.ndpAnswered.Load(),
		GratuitousARPSent:        a.garpSent.Load(),
		UnsolicitedNASent:        a.naSent.Load(),
		Errors:                   errs,
	}
}

// Status returns what is answered now: each IP with the interfaces, sorted,
// whose sockets are open.
func (a *Announcer) Status() map[netip.Addr][]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := map[netip.Addr][]string{}
	for name, l := range a.links {
		for ip := range *l.answer.Load() {
			st[ip] = append(st[ip], name)
		}
	}
	for _, names := range st {
		slices.Sort(names)
	}
	return st
}

// fail logs a failed socket operation at V(1) and counts it: a flapping
// link must not flood the log, and the counter shows it anyway.
func (a *Announcer) fail(ifname, msg string, err error, kv ...any) {
	a.errMu.Lock()
	a.errs[ifname]++
	a.errMu.Unlock()
	a.log.V(1).Info(msg, append([]any{"interface", ifname, "error", err.Error()}, kv...)...)
}

// poke wakes whoever waits on c without blocking: c holds one pending
// wake-up, and the waiter always rereads the whole state.
func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
