package app

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ironlb/ironlb/internal/config"
	"github.com/ironlb/ironlb/speaker/internal/announce"
	"github.com/ironlb/ironlb/speaker/internal/bgp"
)

// Announcer is what the runner needs of the BGP adapter.
type Announcer interface {
	Apply(ctx context.Context, d bgp.Desired) error
	Sessions() []bgp.Session
}

// runner is one node's reconcile pass: gather, plan, apply, report.
type runner struct {
	opts    Options
	client  client.Client
	bgp     Announcer
	clock   clock.Clock
	metrics *metrics
	events  serviceEvents

	// status is the last SpeakerStatus written, and when; only the pass
	// goroutine touches them.
	status      *statusWrite
	lastWritten time.Time
}

// pass runs one reconcile of the node. It returns a delay when the status
// write was postponed by the rate bound.
func (r *runner) pass(ctx context.Context) (again time.Duration, err error) {
	defer func() {
		result := "ok"
		if err != nil {
			result = "error"
		}
		r.metrics.passes.WithLabelValues(result).Inc()
	}()
	log := logr.FromContextOrDiscard(ctx)
	in, err := r.gather(ctx)
	if err != nil {
		return 0, err
	}
	plan := announce.Compute(in.plan)
	desired := desiredBGP(plan, in.peers)
	applyErr := r.bgp.Apply(ctx, desired)
	r.metrics.observe(plan, r.bgp.Sessions())
	r.events.record(plan, in.services)
	if applyErr != nil {
		log.Error(applyErr, "Applying the BGP plan failed")
	}
	again, err = r.report(ctx, in, plan, applyErr)
	if applyErr != nil {
		return 0, fmt.Errorf("apply BGP plan: %w", applyErr)
	}
	return again, err
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
