// Command controller assigns external addresses to LoadBalancer Services from
// IPPools. Run two replicas: one leads, the other takes over on failure.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	kubeconfig "sigs.k8s.io/controller-runtime/pkg/client/config"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/ironlb/ironlb/controller/internal/app"
	"github.com/ironlb/ironlb/internal/kube"
	"github.com/ironlb/ironlb/internal/logging"
)

func main() { os.Exit(run()) }

func run() int {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(app.GCPercent)
	}
	o := app.Defaults()
	fs := flag.NewFlagSet("controller", flag.ContinueOnError)
	kubeconfigPath := fs.String("kubeconfig", "", "path to a kubeconfig; empty means in-cluster or $KUBECONFIG")
	fs.BoolVar(&o.ServeClassless, "serve-classless", o.ServeClassless, "also serve LoadBalancer Services without spec.loadBalancerClass")
	fs.StringVar(&o.Namespace, "namespace", envOr("POD_NAMESPACE", o.Namespace), "namespace of the Secrets that BGPPeers refer to")
	fs.StringVar(&o.MemberlistSecret, "memberlist-secret", o.MemberlistSecret, "Secret in --namespace whose gossip key for the speakers is generated when missing; empty leaves it alone")
	fs.IntVar(&o.Workers, "workers", o.Workers, "Services reconciled concurrently")
	fs.DurationVar(&o.PoolStatusInterval, "pool-status-interval", o.PoolStatusInterval, "at most one IPPool status write per pool per interval")
	fs.BoolVar(&o.LeaderElection, "leader-elect", o.LeaderElection, "elect a leader among replicas (Lease)")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", envOr("POD_NAMESPACE", o.LeaderElectionNamespace), "namespace of the Lease")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", o.LeaderElectionID, "name of the Lease")
	fs.DurationVar(&o.LeaseDuration, "lease-duration", o.LeaseDuration, "how long a standby waits before taking over a silent leader")
	fs.DurationVar(&o.RenewDeadline, "renew-deadline", o.RenewDeadline, "how long the leader tries to renew before giving up")
	fs.DurationVar(&o.RetryPeriod, "retry-period", o.RetryPeriod, "interval between leader election attempts")
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, `address of /metrics; "0" disables`)
	fs.StringVar(&o.PprofAddr, "pprof-bind-address", "0", `address of net/http/pprof, for profiling; "0" disables`)
	fs.StringVar(&o.HealthAddr, "health-probe-bind-address", o.HealthAddr, `address of /healthz and /readyz; "0" disables`)
	qps := fs.Float64("kube-api-qps", float64(o.QPS), "requests per second to the apiserver")
	fs.IntVar(&o.Burst, "kube-api-burst", o.Burst, "request burst to the apiserver")
	eventQPS := fs.Float64("event-qps", float64(o.EventQPS), "Events sent per second; in a burst, status writes go first")
	fs.IntVar(&o.EventBurst, "event-burst", o.EventBurst, "Events sent at once before --event-qps applies")
	var lo logging.Options
	lo.BindFlags(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	o.QPS, o.EventQPS = float32(*qps), float32(*eventQPS)
	if err := o.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "controller:", err)
		return 2
	}
	log, err := lo.Logger(os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "controller:", err)
		return 2
	}
	logf.SetLogger(log)
	o.Log = log.WithName("controller")

	reg, err := kube.NewRegistry()
	if err != nil {
		fmt.Fprintln(os.Stderr, "controller:", err)
		return 1
	}
	o.Registry = reg

	cfg, err := restConfig(*kubeconfigPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "controller:", err)
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, cfg, o); err != nil {
		fmt.Fprintln(os.Stderr, "controller:", err)
		return 1
	}
	return 0
}

func restConfig(path string) (*rest.Config, error) {
	if path != "" {
		return clientcmd.BuildConfigFromFlags("", path)
	}
	return kubeconfig.GetConfig()
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
