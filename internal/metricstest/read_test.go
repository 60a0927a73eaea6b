package metricstest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

func TestRead(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "g"}, []string{"pool", "state"})
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c"}, []string{"result"})
	reg.MustRegister(g, c)
	g.WithLabelValues("a", "assigned").Set(2)
	g.WithLabelValues("a", "available").Set(6)
	c.WithLabelValues("ok").Add(3)

	if diff := cmp.Diff(map[string]float64{"assigned": 2, "available": 6}, ByLabel(t, reg, "g", "state")); diff != "" {
		t.Errorf("ByLabel(g, state) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]float64{"ok": 3}, ByLabel(t, reg, "c", "result")); diff != "" {
		t.Errorf("ByLabel(c, result) (-want +got):\n%s", diff)
	}
	if got := Value(t, reg, "g", map[string]string{"state": "available"}); got != 6 {
		t.Errorf("Value(g, available) = %v, want 6", got)
	}
	if got := Value(t, reg, "c", nil); got != 3 {
		t.Errorf("Value(c) = %v, want 3", got)
	}
	if got := Value(t, reg, "g", map[string]string{"state": "gone"}); got != -1 {
		t.Errorf("Value of no series = %v, want -1", got)
	}
	if got := ByLabel(t, reg, "missing", "x"); len(got) != 0 {
		t.Errorf("ByLabel of a missing metric = %v, want none", got)
	}
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "h"}, []string{"name"})
	reg.MustRegister(h)
	h.WithLabelValues("a").Observe(2)
	h.WithLabelValues("a").Observe(3)
	h.WithLabelValues("b").Observe(7)
	if got := Histogram(t, reg, "h", map[string]string{"name": "a"}); got.GetSampleCount() != 2 || got.GetSampleSum() != 5 {
		t.Errorf("Histogram(h, a): %d samples summing to %v, want 2 summing to 5", got.GetSampleCount(), got.GetSampleSum())
	}
	if got := Histogram(t, reg, "h", map[string]string{"name": "c"}); got.GetSampleCount() != 0 {
		t.Errorf("Histogram of no series: %d samples, want 0", got.GetSampleCount())
	}
}
