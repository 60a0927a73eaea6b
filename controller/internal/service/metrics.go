package service

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics of the allocation.
type Metrics struct {
	allocations *prometheus.CounterVec
	latency     prometheus.Histogram
}

// NewMetrics registers the allocation metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		allocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ironlb_allocations_total",
			Help: "Allocation passes for LoadBalancer Services, by result (the reason of the Allocated condition).",
		}, []string{"result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ironlb_allocation_duration_seconds",
			Help:    "Time to decide a Service's addresses, without the status write.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 10),
		}),
	}
	for _, c := range []prometheus.Collector{m.allocations, m.latency} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) observe(o Outcome, d time.Duration) {
	if m == nil {
		return
	}
	m.allocations.WithLabelValues(o.Reason).Inc()
	m.latency.Observe(d.Seconds())
}
