package app

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ironlb/ironlb/speaker/internal/announce"
	"github.com/ironlb/ironlb/speaker/internal/bgp"
)

// metrics are the speaker's Prometheus series.
type metrics struct {
	sessionUp  *prometheus.GaugeVec
	advertised *prometheus.GaugeVec
	sent       *prometheus.GaugeVec
	updates    *prometheus.GaugeVec
	passes     *prometheus.CounterVec
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
	}
	err := errors.Join(reg.Register(m.sessionUp), reg.Register(m.advertised),
		reg.Register(m.sent), reg.Register(m.updates), reg.Register(m.passes))
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
