package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Endpoints are a binary's HTTP endpoints. An address of "" or "0" turns
// one off.
type Endpoints struct {
	// Metrics serves Gatherer at /metrics.
	Metrics  string
	Gatherer prometheus.Gatherer
	// Health serves /healthz (the process runs) and /readyz (Ready
	// returns nil).
	Health string
	Ready  func() error
	// Pprof serves net/http/pprof under /debug/pprof/.
	Pprof string
}

// Serve returns one run per endpoint that e turns on (several on one
// address share a server): each listens, serves until ctx ends, and
// fails if it cannot listen.
func Serve(log logr.Logger, e Endpoints) []func(context.Context) error {
	muxes := map[string]*http.ServeMux{}
	mux := func(addr string) *http.ServeMux {
		if muxes[addr] == nil {
			muxes[addr] = http.NewServeMux()
		}
		return muxes[addr]
	}
	if on(e.Metrics) && e.Gatherer != nil {
		mux(e.Metrics).Handle("/metrics", promhttp.HandlerFor(e.Gatherer, promhttp.HandlerOpts{
			// A gzip writer holds about 800 KB, to save a few tens of KB
			// on a scrape that stays inside the cluster.
			DisableCompression: true,
		}))
	}
	if on(e.Health) {
		m := mux(e.Health)
		m.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
		m.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
			if e.Ready != nil {
				if err := e.Ready(); err != nil {
					http.Error(w, err.Error(), http.StatusServiceUnavailable)
					return
				}
			}
			_, _ = w.Write([]byte("ok"))
		})
	}
	if on(e.Pprof) {
		m := mux(e.Pprof)
		m.HandleFunc("/debug/pprof/", pprof.Index)
		m.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		m.HandleFunc("/debug/pprof/profile", pprof.Profile)
		m.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		m.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	var runs []func(context.Context) error
	for addr, m := range muxes {
		runs = append(runs, func(ctx context.Context) error {
			l, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			srv := &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second}
			stopped := make(chan struct{})
			go func() {
				defer close(stopped)
				<-ctx.Done()
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(sctx)
			}()
			err = srv.Serve(l)
			<-stopped
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error(err, "HTTP server stopped", "address", addr)
				return err
			}
			return nil
		})
	}
	return runs
}

func on(addr string) bool { return addr != "" && addr != "0" }
