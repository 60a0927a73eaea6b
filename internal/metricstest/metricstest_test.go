package metricstest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

// The registry lists what its collectors describe, vectors without series
// included, and lets queries read a histogram's series but not a counter's
// made-up _count.
func TestRegistry(t *testing.T) {
	reg := NewRegistry()
	gone := prometheus.NewGauge(prometheus.GaugeOpts{Name: "gone"})
	reg.MustRegister(
		prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c_total"}, []string{"result"}),
		prometheus.NewHistogram(prometheus.HistogramOpts{Name: "h_seconds"}),
		prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hv_seconds"}, []string{"peer"}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "f_total"}, func() float64 { return 1 }),
		gone,
	)
	if !reg.Unregister(gone) {
		t.Fatal("Unregister(gone) = false")
	}
	if err := reg.Register(prometheus.NewGauge(prometheus.GaugeOpts{Name: "c_total"})); err == nil {
		t.Error("a second c_total registered: the registry must refuse duplicates")
	}
	if diff := cmp.Diff([]string{"c_total", "f_total", "h_seconds", "hv_seconds"}, reg.Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
	want := map[string]bool{
		"c_total": true, "f_total": true,
		"h_seconds": true, "h_seconds_bucket": true, "h_seconds_sum": true, "h_seconds_count": true,
		"hv_seconds": true, "hv_seconds_bucket": true, "hv_seconds_sum": true, "hv_seconds_count": true,
	}
	if diff := cmp.Diff(want, reg.Series()); diff != "" {
		t.Errorf("Series (-want +got):\n%s", diff)
	}
}

// Missing reports a name that does not exist and says where it is read;
// names another component owns are left to that component's check.
func TestMissing(t *testing.T) {
	series := map[string]bool{"ironlb_a_total": true, "ironlb_h_seconds_bucket": true, "ironlb_speaker_x": true}
	queries := []Query{
		{"panel \"ok\"", `sum(rate(ironlb_a_total[5m])) + histogram_quantile(0.9, rate(ironlb_h_seconds_bucket[5m]))`},
		{"panel \"typo\"", `rate(ironlb_a_totl[5m])`},
		{"panel \"count of a counter\"", `ironlb_a_total_count`},
		{"panel \"speaker\"", `ironlb_speaker_gone`},
	}
	missing, owned, err := Missing(queries, Controller, series)
	if err != nil {
		t.Fatal(err)
	}
	wantMissing := []string{`panel "typo" reads ironlb_a_totl`, `panel "count of a counter" reads ironlb_a_total_count`}
	if diff := cmp.Diff(wantMissing, missing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	wantOwned := []string{"ironlb_a_total", "ironlb_a_total_count", "ironlb_a_totl", "ironlb_h_seconds_bucket"}
	if diff := cmp.Diff(wantOwned, owned); diff != "" {
		t.Errorf("owned (-want +got):\n%s", diff)
	}
	missing, _, _ = Missing(queries, Speaker, series)
	if diff := cmp.Diff([]string{`panel "speaker" reads ironlb_speaker_gone`}, missing); diff != "" {
		t.Errorf("speaker's missing (-want +got):\n%s", diff)
	}
	if _, _, err := Missing([]Query{{"panel \"broken\"", `rate(x[5m]`}}, Controller, series); err == nil {
		t.Error("an expression that does not lex passed")
	}
}

func TestMentioned(t *testing.T) {
	got := Mentioned("`ironlb_pool_addresses{pool=\"lab\"}`, ironlb_speaker_passes_total; not ironlb-system, ironlb.io/pool or ironlb_")
	if diff := cmp.Diff([]string{"ironlb_pool_addresses", "ironlb_speaker_passes_total"}, got); diff != "" {
		t.Errorf("Mentioned (-want +got):\n%s", diff)
	}
}
