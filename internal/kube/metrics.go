package kube

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	clientmetrics "k8s.io/client-go/tools/metrics"
	"k8s.io/client-go/util/workqueue"
)

// Metrics are the client layer's own: work queues, reconciles and
// leadership. A nil *Metrics records nothing.
type Metrics struct {
	queues     queueMetrics
	reconciles *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	leader     *prometheus.GaugeVec
}

// NewMetrics registers the metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	name := []string{"name"}
	m := &Metrics{
		queues: queueMetrics{
			depth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
				Name: "workqueue_depth", Help: "Keys waiting in a reconciler's queue.",
			}, name),
			adds: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "workqueue_adds_total", Help: "Keys added to a reconciler's queue.",
			}, name),
			latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
				Name: "workqueue_queue_duration_seconds", Help: "How long a key waited in the queue before a worker took it.",
				Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
			}, name),
			work: prometheus.NewHistogramVec(prometheus.HistogramOpts{
				Name: "workqueue_work_duration_seconds", Help: "How long a worker spent on one key.",
				Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
			}, name),
			unfinished: prometheus.NewGaugeVec(prometheus.GaugeOpts{
				Name: "workqueue_unfinished_work_seconds", Help: "Seconds of work in progress that has not finished; large values mean stuck workers.",
			}, name),
			longest: prometheus.NewGaugeVec(prometheus.GaugeOpts{
				Name: "workqueue_longest_running_processor_seconds", Help: "How long the longest-running worker has been on its key.",
			}, name),
			retries: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "workqueue_retries_total", Help: "Keys queued again after a failed reconcile.",
			}, name),
		},
		reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ironlb_reconcile_total", Help: "Reconciles by reconciler and result (success, error, requeue_after).",
		}, []string{"controller", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ironlb_reconcile_duration_seconds", Help: "Time per reconcile, by reconciler.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}, []string{"controller"}),
		leader: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "leader_election_master_status", Help: "1 on the replica that leads, 0 on a standby.",
		}, name),
	}
	q := m.queues
	for _, c := range []prometheus.Collector{q.depth, q.adds, q.latency, q.work, q.unfinished, q.longest, q.retries, m.reconciles, m.duration, m.leader} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) reconciled(controller, result string, took time.Duration) {
	if m == nil {
		return
	}
	m.reconciles.WithLabelValues(controller, result).Inc()
	m.duration.WithLabelValues(controller).Observe(took.Seconds())
}

func (m *Metrics) leading(lease string, yes bool) {
	if m == nil {
		return
	}
	v := 0.0
	if yes {
		v = 1
	}
	m.leader.WithLabelValues(lease).Set(v)
}

// queueMetrics is a workqueue.MetricsProvider over prometheus vectors.
type queueMetrics struct {
	depth, unfinished, longest *prometheus.GaugeVec
	adds, retries              *prometheus.CounterVec
	latency, work              *prometheus.HistogramVec
}

var _ workqueue.MetricsProvider = queueMetrics{}

func (q queueMetrics) NewDepthMetric(n string) workqueue.GaugeMetric {
	return q.depth.WithLabelValues(n)
}
func (q queueMetrics) NewAddsMetric(n string) workqueue.CounterMetric {
	return q.adds.WithLabelValues(n)
}
func (q queueMetrics) NewLatencyMetric(n string) workqueue.HistogramMetric {
	return q.latency.WithLabelValues(n)
}
func (q queueMetrics) NewWorkDurationMetric(n string) workqueue.HistogramMetric {
	return q.work.WithLabelValues(n)
}
func (q queueMetrics) NewUnfinishedWorkSecondsMetric(n string) workqueue.SettableGaugeMetric {
	return q.unfinished.WithLabelValues(n)
}
func (q queueMetrics) NewLongestRunningProcessorSecondsMetric(n string) workqueue.SettableGaugeMetric {
	return q.longest.WithLabelValues(n)
}
func (q queueMetrics) NewRetriesMetric(n string) workqueue.CounterMetric {
	return q.retries.WithLabelValues(n)
}

// NewRegistry returns the registry a binary serves: Go runtime and process
// collectors, and the client's request counts (RegisterClientMetrics), to
// which the binary adds its own.
func NewRegistry() (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg, RegisterClientMetrics(reg)
}

// RegisterClientMetrics counts the process's requests to the apiserver in
// rest_client_requests_total (code, method, host) on reg. client-go takes
// one such counter per process, so call it once, from main.
func RegisterClientMetrics(reg prometheus.Registerer) error {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rest_client_requests_total", Help: "Requests to the apiserver, by status code, method and host.",
	}, []string{"code", "method", "host"})
	if err := reg.Register(c); err != nil {
		return err
	}
	clientmetrics.Register(clientmetrics.RegisterOpts{RequestResult: requestResult{c}})
	return nil
}

type requestResult struct{ c *prometheus.CounterVec }

func (r requestResult) Increment(_ context.Context, code, method, host string) {
	r.c.WithLabelValues(code, method, host).Inc()
}
