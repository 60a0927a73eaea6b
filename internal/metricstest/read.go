package metricstest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// ByLabel reads the metric name from g, a gauge or counter, as /metrics
// shows it: the value of each series by its label label.
func ByLabel(t testing.TB, g prometheus.Gatherer, name, label string) map[string]float64 {
	t.Helper()
	got := map[string]float64{}
	for _, m := range series(t, g, name) {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				got[l.GetValue()] = value(m)
			}
		}
	}
	return got
}

// Value reads the first series of the gauge or counter name in g whose
// labels include labels, or -1 if there is none.
func Value(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	if m := find(t, g, name, labels); m != nil {
		return value(m)
	}
	return -1
}

// Histogram reads the first series of the histogram name in g whose
// labels include labels; an empty one if there is none.
func Histogram(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) *dto.Histogram {
	t.Helper()
	if m := find(t, g, name, labels); m != nil && m.GetHistogram() != nil {
		return m.GetHistogram()
	}
	return &dto.Histogram{}
}

func find(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) *dto.Metric {
	t.Helper()
metric:
	for _, m := range series(t, g, name) {
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
				continue metric
			}
		}
		return m
	}
	return nil
}

func series(t testing.TB, g prometheus.Gatherer, name string) []*dto.Metric {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()
		}
	}
	return nil
}

func value(m *dto.Metric) float64 {
	if g := m.GetGauge(); g != nil {
		return g.GetValue()
	}
	return m.GetCounter().GetValue()
}
