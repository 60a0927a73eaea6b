package pool

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
)

// Metrics exports pool usage.
type Metrics struct {
	addresses *prometheus.GaugeVec
}

// NewMetrics registers the pool metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{addresses: prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ironlb_pool_addresses",
		Help: "Addresses of an IPPool by family and state (total, assigned, available). Large IPv6 counts are approximate.",
	}, []string{"pool", "family", "state"})}
	if err := reg.Register(m.addresses); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Metrics) set(pool string, st ironlbv1.IPPoolStatus) {
	if m == nil {
		return
	}
	m.forget(pool)
	for fam, u := range map[string]*ironlbv1.FamilyUsage{"IPv4": st.IPv4, "IPv6": st.IPv6} {
		if u == nil {
			continue
		}
		total, _ := strconv.ParseFloat(u.Total, 64)
		avail, _ := strconv.ParseFloat(u.Available, 64)
		m.addresses.WithLabelValues(pool, fam, "total").Set(total)
		m.addresses.WithLabelValues(pool, fam, "assigned").Set(float64(u.Assigned))
		m.addresses.WithLabelValues(pool, fam, "available").Set(avail)
	}
}

func (m *Metrics) forget(pool string) {
	if m == nil {
		return
	}
	m.addresses.DeletePartialMatch(prometheus.Labels{"pool": pool})
}
