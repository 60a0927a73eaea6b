package main

import (
	"testing"

	"github.com/ironlb/ironlb/controller/internal/announced"
	"github.com/ironlb/ironlb/controller/internal/pool"
	"github.com/ironlb/ironlb/controller/internal/service"
	"github.com/ironlb/ironlb/internal/kube"
	"github.com/ironlb/ironlb/internal/metricstest"
)

// TestMetrics proves that the Grafana dashboard and the alert rules read
// only metrics the controller exports, and that docs/metrics.md describes
// every one: the real constructors register on a fresh registry, as app.Run
// registers them on the registry it serves.
func TestMetrics(t *testing.T) {
	reg := metricstest.NewRegistry()
	if _, err := service.NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := announced.NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if err := kube.RegisterClientMetrics(reg); err != nil {
		t.Fatal(err)
	}
	metricstest.Check(t, reg, metricstest.Component{Owns: metricstest.Controller, Source: "controller", MinQueried: 4})
}
