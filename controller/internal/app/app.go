// Package app assembles the controller: options, the manager with leader
// election, the Service and IPPool reconcilers, metrics and health checks.
// controller/main.go only parses flags into Options; tests run [Run] in
// process against a real apiserver.
package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/ironlb/ironlb/controller/internal/announced"
	"github.com/ironlb/ironlb/controller/internal/ipam"
	"github.com/ironlb/ironlb/controller/internal/memberkey"
	"github.com/ironlb/ironlb/controller/internal/notify"
	"github.com/ironlb/ironlb/controller/internal/pool"
	"github.com/ironlb/ironlb/controller/internal/report"
	"github.com/ironlb/ironlb/controller/internal/service"
	"github.com/ironlb/ironlb/internal/eventsink"
	"github.com/ironlb/ironlb/internal/scheme"
)

// Options configure the controller.
type Options struct {
	// ServeClassless makes the controller serve LoadBalancer Services that
	// set no spec.loadBalancerClass, as well as those of ironlb's class.
	ServeClassless bool
	// Workers is how many Services are reconciled at once.
	Workers int
	// PoolStatusInterval bounds how often one IPPool's status is written.
	PoolStatusInterval time.Duration

	// Namespace holds the Secrets that BGPPeers' passwords refer to (the
	// controller's and speakers' namespace).
	Namespace string
	// MemberlistSecret names the Secret in Namespace whose gossip key the
	// controller generates when missing; empty leaves it alone.
	MemberlistSecret string

	LeaderElection          bool
	LeaderElectionNamespace string
	LeaderElectionID        string
	LeaseDuration           time.Duration
	RenewDeadline           time.Duration
	RetryPeriod             time.Duration

	// MetricsAddr and HealthAddr are listen addresses; "0" disables.
	MetricsAddr string
	HealthAddr  string
	// PprofAddr serves net/http/pprof when set; "0" or "" disables.
	PprofAddr string

	// QPS and Burst limit requests to the apiserver.
	QPS   float32
	Burst int
	// EventQPS and EventBurst limit the Events sent, within QPS: in a
	// burst, status writes go first (see internal/eventsink).
	EventQPS   float32
	EventBurst int

	// Registry receives the metrics; nil means controller-runtime's global
	// registry, which the metrics endpoint serves.
	Registry prometheus.Registerer
	// SkipNameValidation allows several controllers in one process, as in
	// tests; controller names must otherwise be unique.
	SkipNameValidation bool
}

// Defaults returns the options the binary starts with.
func Defaults() Options {
	return Options{
		ServeClassless:          true,
		Workers:                 32,
		PoolStatusInterval:      time.Second,
		LeaderElection:          true,
		Namespace:               "ironlb-system",
		MemberlistSecret:        "ironlb-memberlist",
		LeaderElectionNamespace: "ironlb-system",
		LeaderElectionID:        "ironlb-controller",
		LeaseDuration:           15 * time.Second,
		RenewDeadline:           10 * time.Second,
		RetryPeriod:             2 * time.Second,
		MetricsAddr:             ":8080",
		HealthAddr:              ":8081",
		QPS:                     200,
		Burst:                   400,
		EventQPS:                20,
		EventBurst:              100,
	}
}

// Validate reports every option that cannot work.
func (o Options) Validate() error {
	var errs []error
	if o.Namespace == "" {
		errs = append(errs, errors.New("the namespace is required (--namespace or POD_NAMESPACE)"))
	}
	if o.Workers < 1 {
		errs = append(errs, fmt.Errorf("workers must be at least 1, not %d", o.Workers))
	}
	if o.QPS <= 0 || o.Burst < 1 {
		errs = append(errs, fmt.Errorf("QPS (%v) and burst (%d) must be positive", o.QPS, o.Burst))
	}
	if o.EventQPS <= 0 || o.EventBurst < 1 {
		errs = append(errs, fmt.Errorf("event QPS (%v) and burst (%d) must be positive", o.EventQPS, o.EventBurst))
	}
	if o.PoolStatusInterval <= 0 {
		errs = append(errs, errors.New("pool status interval must be positive"))
	}
	if o.LeaderElection {
		if o.LeaderElectionNamespace == "" || o.LeaderElectionID == "" {
			errs = append(errs, errors.New("leader election needs a namespace and an ID"))
		}
		if o.RetryPeriod <= 0 || o.RetryPeriod >= o.RenewDeadline || o.RenewDeadline >= o.LeaseDuration {
			errs = append(errs, fmt.Errorf("leader election needs 0 < retry period (%s) < renew deadline (%s) < lease duration (%s)",
				o.RetryPeriod, o.RenewDeadline, o.LeaseDuration))
		}
	}
	return errors.Join(errs...)
}

// Leader election: one Lease in the controller's namespace.
// +kubebuilder:rbac:groups=coordination.k8s.io,namespace=ironlb-system,resources=leases,verbs=get;list;watch;create;update;patch
// The elected leader announces itself with a core Event on the Lease.
// +kubebuilder:rbac:groups="",namespace=ironlb-system,resources=events,verbs=create;patch

// Run runs the controller until ctx ends.
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = o.QPS, o.Burst
	// Protobuf for built-in kinds (Services, Namespaces, Events) costs the
	// apiserver far less than JSON, on watches above all; custom resources
	// fall back to JSON.
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	sch, err := scheme.New()
	if err != nil {
		return err
	}
	reg := o.Registry
	mgrOpts := ctrl.Options{
		Scheme:                        sch,
		Metrics:                       metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:        o.HealthAddr,
		PprofBindAddress:              o.PprofAddr,
		LeaderElection:                o.LeaderElection,
		LeaderElectionNamespace:       o.LeaderElectionNamespace,
		LeaderElectionID:              o.LeaderElectionID,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &o.LeaseDuration,
		RenewDeadline:                 &o.RenewDeadline,
		RetryPeriod:                   &o.RetryPeriod,
		// Cache only what is read (see slim), and only the Secrets of our
		// namespace (BGPPeer passwords, to validate the references).
		Cache: cache.Options{
			DefaultTransform: slim,
			ByObject: map[client.Object]cache.ByObject{
				&corev1.Secret{}: {Namespaces: map[string]cache.Config{o.Namespace: {}}},
			},
		},
		Controller: ctrlconfig.Controller{SkipNameValidation: &o.SkipNameValidation},
	}
	if reg == nil {
		reg = ctrlmetrics.Registry
	}
	mgr, err := ctrl.NewManager(cfg, mgrOpts)
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}

	recorder := eventsink.New(mgr.GetClient(), sch, ctrl.Log.WithName("events"), eventsink.Options{
		Controller: "ironlb-controller", QPS: o.EventQPS, Burst: o.EventBurst,
	})
	if err := mgr.Add(recorder); err != nil {
		return err
	}
	state := ipam.New(mgr.GetClient(), service.ImportRequest(o.ServeClassless))
	poolChanged := notify.New(o.PoolStatusInterval, clock.RealClock{})
	retry := notify.New(100*time.Millisecond, clock.RealClock{})
	svcMetrics, err := service.NewMetrics(reg)
	if err != nil {
		return err
	}
	poolMetrics, err := pool.NewMetrics(reg)
	if err != nil {
		return err
	}
	if err := errors.Join(mgr.Add(poolChanged), mgr.Add(retry)); err != nil {
		return err
	}
	svcs := &service.Reconciler{
		Client:         mgr.GetClient(),
		Recorder:       recorder,
		State:          state,
		ServeClassless: o.ServeClassless,
		Workers:        o.Workers,
		Pools:          poolChanged,
		Retry:          retry,
		Metrics:        svcMetrics,
	}
	if err := svcs.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up service controller: %w", err)
	}
	pools := &pool.Reconciler{Client: mgr.GetClient(), State: state, Changed: poolChanged, Metrics: poolMetrics}
	if err := pools.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up ippool controller: %w", err)
	}

	rep := &report.Reconciler{Client: mgr.GetClient(), Recorder: recorder, Namespace: o.Namespace}
	if err := rep.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up report controller: %w", err)
	}
	if o.MemberlistSecret != "" {
		mk := &memberkey.Reconciler{
			Client: mgr.GetClient(), Recorder: recorder,
			Secret: types.NamespacedName{Namespace: o.Namespace, Name: o.MemberlistSecret},
		}
		if err := mk.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("set up memberkey controller: %w", err)
		}
	}
	annMetrics, err := announced.NewMetrics(reg)
	if err != nil {
		return err
	}
	ann := &announced.Reconciler{Client: mgr.GetClient(), ServeClassless: o.ServeClassless, FieldOwner: service.FieldOwner, Metrics: annMetrics}
	if ann.Services, err = cachedServices(ctx, mgr.GetCache()); err != nil {
		return err
	}
	if err := ann.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up announced controller: %w", err)
	}

	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	// Ready once the caches are synced, whether leader or standby: a
	// standby is ready to take over.
	if err := mgr.AddReadyzCheck("cache", func(req *http.Request) error {
		if !mgr.GetCache().WaitForCacheSync(req.Context()) {
			return errors.New("caches not synced")
		}
		return nil
	}); err != nil {
		return err
	}
	return mgr.Start(ctx)
}

// cachedServices returns a function that lists the Services of c's
// informer in place, without copying them. controller-runtime's informers
// are client-go's shared informers, which have a store; if an upgrade ever
// changes that, the controller refuses to start, so every test fails.
func cachedServices(ctx context.Context, c cache.Cache) (func() []*corev1.Service, error) {
	inf, err := c.GetInformer(ctx, &corev1.Service{})
	if err != nil {
		return nil, fmt.Errorf("get Service informer: %w", err)
	}
	st, ok := inf.(interface{ GetStore() toolscache.Store })
	if !ok {
		return nil, fmt.Errorf("the Service informer (%T) has no store", inf)
	}
	return func() []*corev1.Service {
		objs := st.GetStore().List()
		out := make([]*corev1.Service, 0, len(objs))
		for _, o := range objs {
			if s, ok := o.(*corev1.Service); ok {
				out = append(out, s)
			}
		}
		return out
	}, nil
}
