// Command speaker makes the outside network deliver traffic for ironlb's
// addresses to this node: it advertises them to BGP routers. Run one per
// node (a DaemonSet on the host network).
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

	"github.com/ironlb/ironlb/internal/kube"
	"github.com/ironlb/ironlb/internal/logging"
	"github.com/ironlb/ironlb/speaker/internal/app"
	"github.com/ironlb/ironlb/speaker/internal/members"
)

func main() { os.Exit(run()) }

func run() int {
	// The live heap is small (about 10 MB with 1,000 Services); at Go's
	// default (GOGC=100) the heap grows to twice it between collections.
	// GOGC=50 took the RSS from 56 to 51 MB with create → route p50 still
	// under 100 ms on the lab. GOGC in the environment still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	o := app.Defaults()
	fs := flag.NewFlagSet("speaker", flag.ContinueOnError)
	kubeconfigPath := fs.String("kubeconfig", "", "path to a kubeconfig; empty means in-cluster or $KUBECONFIG")
	fs.StringVar(&o.NodeName, "node-name", os.Getenv("NODE_NAME"), "name of the Node this speaker runs on")
	fs.StringVar(&o.Namespace, "namespace", envOr("POD_NAMESPACE", o.Namespace), "namespace of the Secrets that BGPPeers refer to")
	fs.BoolVar(&o.ServeClassless, "serve-classless", o.ServeClassless, "also announce LoadBalancer Services without spec.loadBalancerClass (must match the controller)")
	fs.DurationVar(&o.PassInterval, "pass-interval", o.PassInterval, "at most --pass-burst passes over the node's state per interval")
	fs.IntVar(&o.PassBurst, "pass-burst", o.PassBurst, "passes allowed at once before --pass-interval limits them")
	fs.DurationVar(&o.StatusInterval, "status-interval", o.StatusInterval, "at most one SpeakerStatus write per interval")
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, `address of /metrics; "0" disables`)
	fs.StringVar(&o.HealthAddr, "health-probe-bind-address", o.HealthAddr, `address of /healthz and /readyz; "0" disables`)
	fs.StringVar(&o.PprofAddr, "pprof-bind-address", "0", `address of net/http/pprof, for profiling; "0" disables`)
	qps := fs.Float64("kube-api-qps", float64(o.QPS), "requests per second to the apiserver")
	fs.IntVar(&o.Burst, "kube-api-burst", o.Burst, "request burst to the apiserver")
	fs.BoolVar(&o.Layer2, "layer2", o.Layer2, "answer ARP/NDP for the addresses that L2Announcements cover")
	fs.BoolVar(&o.Memberlist.Enabled, "memberlist", o.Memberlist.Enabled, "detect dead speakers with a gossip member list (off: a node is alive while its Node is Ready)")
	fs.StringVar(&o.Memberlist.BindAddr, "memberlist-bind-address", envOr("HOST_IP", ""), "address to gossip on; empty means the node's first InternalIP")
	fs.IntVar(&o.Memberlist.Port, "memberlist-port", o.Memberlist.Port, "UDP and TCP port of the member list")
	fs.StringVar(&o.Memberlist.SecretName, "memberlist-secret", o.Memberlist.SecretName, `Secret in --namespace whose key "secretkey" encrypts gossip; empty gossips in clear text (tests only)`)
	fs.DurationVar(&o.Memberlist.ProbeInterval, "memberlist-probe-interval", members.DefaultProbeInterval, "how often each speaker probes another")
	fs.DurationVar(&o.Memberlist.ProbeTimeout, "memberlist-probe-timeout", members.DefaultProbeTimeout, "how long a probe waits for its ack before asking others to probe")
	fs.IntVar(&o.Memberlist.SuspicionMult, "memberlist-suspicion-mult", members.DefaultSuspicionMult, "a suspected speaker is declared dead after this many probe intervals (scaled by log10 of the cluster size)")
	var lo logging.Options
	lo.BindFlags(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	o.QPS = float32(*qps)
	if err := o.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "speaker:", err)
		return 2
	}
	log, err := lo.Logger(os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "speaker:", err)
		return 2
	}
	logf.SetLogger(log)
	o.Log = log.WithName("speaker")

	reg, err := kube.NewRegistry()
	if err != nil {
		fmt.Fprintln(os.Stderr, "speaker:", err)
		return 1
	}
	o.Registry = reg

	cfg, err := restConfig(*kubeconfigPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "speaker:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, cfg, o); err != nil {
		fmt.Fprintln(os.Stderr, "speaker:", err)
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
