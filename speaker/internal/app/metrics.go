package app

import (
	"errors"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ironlb/ironlb/speaker/internal/announce"
	"github.com/ironlb/ironlb/speaker/internal/bgp"
	"github.com/ironlb/ironlb/speaker/internal/layer2"
)

// metrics are the speaker's Prometheus series.
type metrics struct {
	sessionUp  *prometheus.GaugeVec
	advertised *prometheus.GaugeVec
	sent       *prometheus.GaugeVec
	updates    *prometheus.GaugeVec
	passes     *prometheus.CounterVec
	passTime   prometheus.Histogram
	owned      prometheus.Gauge
	alive      prometheus.Gauge
	trusted    prometheus.Gauge
	takeovers  prometheus.Counter
	// lastOwners are the owners of the previous pass, for takeovers.
	lastOwners map[netip.Addr]string
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		sessionUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ironlb_speaker_bgp_session_up",
			Help: "1 when the BGP session to the peer is Established, else 0.",
		}, []string{"peer"}),
		advertised: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ironlb_speaker_bgp_prefixes_planned",
			Help: "Prefixes the node advertises to the peer (whether or not the session is up).",
		}, []string{"peer"}),
		sent: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ironlb_speaker_bgp_prefixes_advertised",
			Help: "Prefixes the peer holds from the node (its Adj-RIB-Out); 0 while the session is down.",
		}, []string{"peer"}),
		// A gauge, not a counter: it is GoBGP's count for the current
		// session and starts again from 0 when the session restarts.
		updates: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ironlb_speaker_bgp_updates_sent",
			Help: "UPDATE messages sent to the peer on the current session.",
		}, []string{"peer"}),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ironlb_speaker_passes_total",
			Help: "Reconcile passes of the node's plan, by result.",
		}, []string{"result"}),
		passTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ironlb_speaker_pass_duration_seconds",
			Help:    "How long a pass over the node's state takes: gather, plan, apply, report.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		owned: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ironlb_speaker_l2_owned_addresses",
			Help: "Layer-2 addresses this node answers ARP/NDP for.",
		}),
		alive: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ironlb_speaker_l2_live_nodes",
			Help: "Nodes this speaker counts as alive for layer-2 elections (member list, or Node Ready without it).",
		}),
		trusted: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ironlb_speaker_l2_self_live",
			Help: "1 when this node counts itself alive and may own layer-2 addresses; 0 while starting, after a freeze, after a link came back, or after leaving.",
		}),
		takeovers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ironlb_speaker_l2_owner_changes_total",
			Help: "Layer-2 addresses this node took over from another owner (or from none); summed over nodes, the cluster's owner changes.",
		}),
	}
	err := errors.Join(reg.Register(m.sessionUp), reg.Register(m.advertised),
		reg.Register(m.sent), reg.Register(m.updates), reg.Register(m.passes), reg.Register(m.passTime),
		reg.Register(m.owned), reg.Register(m.alive), reg.Register(m.trusted), reg.Register(m.takeovers))
	return m, err
}

// observe sets the gauges from a plan and the sessions; peers that are gone
// lose their series.
func (m *metrics) observe(plan announce.Plan, sessions []bgp.Session) {
	m.sessionUp.Reset()
	m.sent.Reset()
	m.updates.Reset()
	for _, s := range sessions {
		m.sent.WithLabelValues(s.Peer).Set(float64(s.PrefixesSent))
		m.updates.WithLabelValues(s.Peer).Set(float64(s.UpdatesSent))
		up := 0.0
		if s.State == "Established" {
			up = 1
		}
		m.sessionUp.WithLabelValues(s.Peer).Set(up)
	}
	m.advertised.Reset()
	for _, name := range plan.Peers {
		m.advertised.WithLabelValues(name).Set(float64(len(plan.Adverts[name])))
	}
}

// observeL2 sets the layer-2 series from the plan.
func (m *metrics) observeL2(in announce.L2Input, plan announce.L2Plan, self string) {
	m.owned.Set(float64(len(plan.Owned)))
	live, selfLive := 0, 0.0
	for _, n := range in.Nodes {
		if n.Live {
			live++
			if n.Name == self {
				selfLive = 1
			}
		}
	}
	m.alive.Set(float64(live))
	m.trusted.Set(selfLive)
	owners := make(map[netip.Addr]string, len(plan.IPs))
	for ip, a := range plan.IPs {
		owners[ip] = a.Owner
		if a.Owner == self && m.lastOwners != nil && m.lastOwners[ip] != self {
			m.takeovers.Inc()
		}
	}
	m.lastOwners = owners
}

// registerL2 exports the announcer's packet counters, read at scrape time.
func registerL2(reg prometheus.Registerer, l2 Layer2) error {
	counter := func(name, help string, get func(layer2.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 {
			return float64(get(l2.Stats()))
		})
	}
	return errors.Join(
		reg.Register(counter("ironlb_speaker_l2_arp_requests_answered_total", "ARP requests answered for owned addresses.",
			func(s layer2.Stats) uint64 { return s.ARPRequestsAnswered })),
		reg.Register(counter("ironlb_speaker_l2_ndp_solicitations_answered_total", "Neighbor Solicitations answered for owned addresses.",
			func(s layer2.Stats) uint64 { return s.NDPSolicitationsAnswered })),
		reg.Register(counter("ironlb_speaker_l2_gratuitous_arp_sent_total", "Gratuitous ARP packets sent on takeover.",
			func(s layer2.Stats) uint64 { return s.GratuitousARPSent })),
		reg.Register(counter("ironlb_speaker_l2_unsolicited_na_sent_total", "Unsolicited Neighbor Advertisements sent on takeover.",
			func(s layer2.Stats) uint64 { return s.UnsolicitedNASent })),
	)
}
