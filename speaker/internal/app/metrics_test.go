package app

import (
	"net/netip"
	"testing"

	"github.com/ironlb/ironlb/internal/metricstest"
	"github.com/ironlb/ironlb/speaker/internal/layer2"
)

// statsOnly is a layer-2 announcer that has answered nothing.
type statsOnly struct{}

func (statsOnly) Apply(map[netip.Addr][]string) {}
func (statsOnly) Stats() layer2.Stats           { return layer2.Stats{} }

// TestMetrics proves that the Grafana dashboard and the alert rules read
// only metrics the speaker exports, and that docs/metrics.md describes every
// one: the real constructors register on a fresh registry, as Run registers
// them with layer 2 on.
func TestMetrics(t *testing.T) {
	reg := metricstest.NewRegistry()
	if _, err := newMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if err := registerL2(reg, statsOnly{}); err != nil {
		t.Fatal(err)
	}
	metricstest.Check(t, reg, metricstest.Component{Owns: metricstest.Speaker, Source: "speaker", MinQueried: 12})
}
