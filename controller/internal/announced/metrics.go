package announced

import "github.com/prometheus/client_golang/prometheus"

// Metrics count the served Services by the reason of their Announced
// condition: the one series that says a Service has an address no router or
// neighbour learns of.
type Metrics struct {
	services *prometheus.GaugeVec
}

// NewMetrics registers the announcement metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{services: prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ironlb_announced_services",
		Help: "Services ironlb serves, by the reason of their ironlb.io/Announced condition " +
			"(Announced, PartlyAnnounced, NotAnnounced, NoAddress); NoAddress also counts Services that never had an address.",
	}, []string{"reason"})}
	if err := reg.Register(m.services); err != nil {
		return nil, err
	}
	return m, nil
}

// set publishes the counts of one pass. Every reason gets a series, 0
// included, so that an alert sees 0 rather than nothing.
func (m *Metrics) set(counts map[string]int) {
	if m == nil {
		return
	}
	for _, reason := range []string{ReasonAnnounced, ReasonPartlyAnnounced, ReasonNotAnnounced, ReasonNoAddress} {
		m.services.WithLabelValues(reason).Set(float64(counts[reason]))
	}
}
