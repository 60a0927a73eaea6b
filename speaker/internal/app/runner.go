package app

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/clock"

	"github.com/ironlb/ironlb/internal/config"
	"github.com/ironlb/ironlb/internal/kube"
	"github.com/ironlb/ironlb/speaker/internal/announce"
	"github.com/ironlb/ironlb/speaker/internal/bgp"
)

// Announcer is what the runner needs of the BGP adapter.
type Announcer interface {
	Apply(ctx context.Context, d bgp.Desired) error
	// Sessions returns the sessions with their counters, which is costly.
	Sessions() []bgp.Session
	// States returns the sessions without counters, at no cost.
	States() []bgp.Session
}

// runner is one node's reconcile pass: gather, plan, apply, report.
type runner struct {
	opts    Options
	client  *kube.Client
	caches  *caches
	bgp     Announcer
	clock   clock.Clock
	metrics *metrics
	events  serviceEvents

	// Layer 2: the announcer, the node's links, and the member list (nil
	// when turned off: Node readiness stands in for liveness). memberBind
	// and memberPort place the other speakers' member-list addresses.
	l2         Layer2
	links      LinkSource
	memberlist bool // the member list is on: until it runs, nobody is live
	memberPort int
	liveMu     sync.Mutex
	live       Liveness
	memberBind netip.Addr
	l2events   ownerEvents
	lastMeta   []byte
	// upLinks are the links that were up at the last pass; nil before the
	// first.
	upLinks map[string]bool

	// status is the last SpeakerStatus written, and when; only the pass
	// goroutine touches them.
	status      *statusWrite
	lastWritten time.Time

	// counted are the sessions last read with their counters, at
	// countedAt (see sessions).
	counted   []bgp.Session
	countedAt time.Time

	// applied is set once a pass has applied its plan (BGP and layer 2):
	// the speaker is ready from then on.
	applied atomic.Bool
}

// pass runs one reconcile of the node. It returns a delay when the status
// write was postponed by the rate bound.
func (r *runner) pass(ctx context.Context) (again time.Duration, err error) {
	started := r.clock.Now()
	defer func() {
		result := "ok"
		if err != nil {
			result = "error"
		}
		r.metrics.passes.WithLabelValues(result).Inc()
		r.metrics.passTime.Observe(r.clock.Since(started).Seconds())
	}()
	log := logr.FromContextOrDiscard(ctx)
	in, err := r.gather(ctx)
	if err != nil {
		return 0, err
	}
	plan := announce.Compute(in.plan)
	desired := desiredBGP(plan, in.peers)
	applyErr := r.bgp.Apply(ctx, desired)
	// Layer 2 after BGP has its orders, before any API write: a failover
	// must not wait for the apiserver.
	l2in, l2plan := r.layer2(log, in)
	sessions, refresh := r.sessions()
	r.metrics.observe(plan, sessions)
	r.metrics.observeL2(l2in, l2plan, r.opts.NodeName)
	r.events.record(plan, in.services)
	r.l2events.record(l2plan, in.services)
	if applyErr != nil {
		log.Error(applyErr, "Applying the BGP plan failed")
	}
	again, err = r.report(ctx, in, plan, l2plan, sessions, applyErr)
	if applyErr != nil {
		return 0, fmt.Errorf("apply BGP plan: %w", applyErr)
	}
	r.applied.Store(true)
	if refresh > 0 && (again == 0 || refresh < again) {
		again = refresh
	}
	return again, err
}

// sessions returns the BGP sessions. Their counters (prefixes and updates
// sent) cost GoBGP a walk of each peer's Adj-RIB-Out, behind its path
// processing: on the lab that was most of a pass, which every speaker runs
// for every change, on the cores the apiserver and controller need. So they
// are asked for at most once per StatusInterval, and at once when a session
// changed state; between, the last counters are reused and the returned
// delay says when a pass should refresh them.
func (r *runner) sessions() ([]bgp.Session, time.Duration) {
	now := r.clock.Now()
	states := r.bgp.States()
	age := now.Sub(r.countedAt)
	if r.counted == nil || age >= r.opts.StatusInterval || !sameStates(states, r.counted) {
		r.counted, r.countedAt = r.bgp.Sessions(), now
		return r.counted, 0
	}
	for i := range states {
		for _, c := range r.counted {
			if c.Peer == states[i].Peer {
				states[i].PrefixesSent, states[i].UpdatesSent = c.PrefixesSent, c.UpdatesSent
			}
		}
	}
	return states, r.opts.StatusInterval - age
}

// sameStates reports whether two lists of sessions (sorted by peer) have
// the same peers in the same states.
func sameStates(a, b []bgp.Session) bool {
	return slices.EqualFunc(a, b, func(x, y bgp.Session) bool {
		return x.Peer == y.Peer && x.State == y.State && x.Since.Equal(y.Since)
	})
}

// layer2 elects the owners of the layer-2 addresses, applies this node's
// share, and tells the member list what it needs to know.
func (r *runner) layer2(log logr.Logger, in *inputs) (announce.L2Input, announce.L2Plan) {
	r.watchLinks(log, in)
	l2in, meta := r.l2Input(in)
	plan := announce.ComputeL2(l2in)
	if r.l2 != nil {
		r.l2.Apply(plan.Owned)
	}
	if live, bind := r.liveness(); live != nil {
		live.SetPeers(memberPeers(in.nodes, r.opts.NodeName, bind, r.memberPort))
		if meta != nil && !bytes.Equal(meta, r.lastMeta) {
			if err := live.SetMeta(meta); err != nil {
				log.Error(err, "Publishing the node's links failed")
			} else {
				r.lastMeta = meta
			}
		}
	}
	return l2in, plan
}

// watchLinks withdraws this node from the member list's live set when one
// of the links layer 2 uses comes back up, until it has rejoined: cut off,
// it may have taken itself for the only survivor while the others gave its
// addresses away (see members.Members.Distrust). Only those links count: a
// pod's new veth must not cost the node its addresses.
func (r *runner) watchLinks(log logr.Logger, in *inputs) {
	if r.links == nil {
		return
	}
	var internal []netip.Addr
	for i := range in.nodes {
		if in.nodes[i].Name == r.opts.NodeName {
			internal = internalIPs(&in.nodes[i])
		}
	}
	up := map[string]bool{}
	for _, l := range r.links.Links() {
		if l.Up && !l.Loopback && usedByLayer2(l, internal, in.cfg.L2Announcements) {
			up[l.Name] = true
		}
	}
	prev := r.upLinks
	r.upLinks = up
	if prev == nil {
		return
	}
	for name := range up {
		if !prev[name] {
			if live, _ := r.liveness(); live != nil {
				log.Info("A link came up; rejoining before answering again", "link", name)
				live.Distrust("link " + name + " came up")
			}
			return
		}
	}
}

// setLiveness installs the member list once it runs.
func (r *runner) setLiveness(l Liveness, bind netip.Addr) {
	r.liveMu.Lock()
	defer r.liveMu.Unlock()
	r.live, r.memberBind = l, bind
}

func (r *runner) liveness() (Liveness, netip.Addr) {
	r.liveMu.Lock()
	defer r.liveMu.Unlock()
	return r.live, r.memberBind
}

// desiredBGP turns the plan into the adapter's form.
func desiredBGP(plan announce.Plan, peers map[string]*config.Peer) bgp.Desired {
	d := bgp.Desired{RouterID: plan.RouterID, Paths: map[string][]bgp.Path{}}
	if !plan.RouterID.IsValid() {
		// No identifier, no sessions (Plan.Problem says why).
		return d
	}
	for _, name := range slices.Sorted(maps.Keys(peers)) {
		p := peers[name]
		d.Peers = append(d.Peers, bgp.Peer{
			Name:            name,
			Address:         p.Address,
			Port:            p.Port,
			ASN:             p.ASN,
			LocalASN:        p.LocalASN,
			SourceAddress:   p.SourceAddress,
			HoldTime:        p.HoldTime,
			KeepaliveTime:   p.KeepaliveTime,
			ConnectTime:     p.ConnectTime,
			EBGPMultihop:    p.EBGPMultihop,
			Password:        p.Password,
			GracefulRestart: p.GracefulRestart.Enabled,
			RestartTime:     p.GracefulRestart.RestartTime,
		})
	}
	for peer, ads := range plan.Adverts {
		paths := make([]bgp.Path, 0, len(ads))
		for _, a := range ads {
			path := bgp.Path{Prefix: a.Prefix, NextHop: a.NextHop, Communities: a.Communities, LocalPref: a.LocalPref}
			for _, lc := range a.LargeCommunities {
				path.LargeCommunities = append(path.LargeCommunities, [3]uint32(lc))
			}
			paths = append(paths, path)
		}
		d.Paths[peer] = paths
	}
	return d
}
