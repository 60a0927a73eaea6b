// Package app assembles the controller: options, the manager with leader
// election, the Service and IPPool reconcilers, metrics and health checks.
// controller/main.go only parses flags into Options; tests run [Run] in
// process against a real apiserver.
package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/controller/internal/announced"
	"github.com/ironlb/ironlb/controller/internal/ipam"
	"github.com/ironlb/ironlb/controller/internal/lbsvc"
	"github.com/ironlb/ironlb/controller/internal/memberkey"
	"github.com/ironlb/ironlb/controller/internal/notify"
	"github.com/ironlb/ironlb/controller/internal/pool"
	"github.com/ironlb/ironlb/controller/internal/report"
	"github.com/ironlb/ironlb/controller/internal/service"
	"github.com/ironlb/ironlb/internal/eventsink"
	"github.com/ironlb/ironlb/internal/kube"
)

// Options configure the controller.
type Options struct {
	// ServeClassless makes the controller serve LoadBalancer Services that
	// set no spec.loadBalancerClass, as well as those of ironlb's class.
	ServeClassless bool
	// Workers is how many Services are reconciled at once. 16 held
	// about 1 MB less than 32 with 10,000 Services, but allocated 1,000
	// pending ones at 392–463/s against 458–560 with 32 in the same hour:
	// the apiserver works through concurrent patches faster.
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

	// Registry receives the metrics, and the metrics endpoint serves it
	// when it is also a prometheus.Gatherer; nil means a new registry.
	Registry prometheus.Registerer
	// Log is the controller's logger; the zero Logger means
	// controller-runtime's global one (set by main).
	Log logr.Logger
}

// GCPercent is the controller's GOGC unless the environment sets one. Its
// heap is mostly its cache of Services, which stays; at Go's default
// (100) the heap grows to twice that before a collection. With 10,000
// Services, 50 took the resident memory from 103 to 86 MB in an earlier
// round; this round 25 took it from 51–52 to 46 MB, and with the cache
// since packed, 20 held 38 MB. Allocating 1,000 pending Services went at
// 458–552/s at 20 and 504–560/s at 50 in the same hour: the apiserver sets
// the pace (BenchmarkControllerRSS, BenchmarkPendingServicesAllocated).
const GCPercent = 20

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
// +kubebuilder:rbac:groups=coordination.k8s.io,namespace=ironlb-system,resources=leases,verbs=get;create;update

// Run runs the controller until ctx ends.
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	log := o.Log
	if log.GetSink() == nil {
		log = logf.Log.WithName("controller")
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = o.QPS, o.Burst
	kc, err := kube.New(cfg)
	if err != nil {
		return err
	}
	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	km, err := kube.NewMetrics(reg)
	if err != nil {
		return err
	}

	// The caches. Only what is read is kept (see slim), and only the
	// Secrets of our namespace (BGPPeer passwords and the gossip key).
	c := &caches{
		services:   kube.NewInformerAs[*lbsvc.Service](kc, kube.Services, &corev1.Service{}, kube.InformerOptions{Transform: lbsvc.Transform, NoNamespaceIndex: true}),
		namespaces: kube.NewInformer(kc, kube.Namespaces, &corev1.Namespace{}, kube.InformerOptions{Transform: slim}),
		nodes:      kube.NewInformer(kc, kube.Nodes, &corev1.Node{}, kube.InformerOptions{Transform: slim}),
		secrets:    kube.NewInformer(kc, kube.Secrets, &corev1.Secret{}, kube.InformerOptions{Transform: slim, Namespace: o.Namespace}),
		pools:      kube.NewInformer(kc, kube.IPPools, &ironlbv1.IPPool{}, kube.InformerOptions{Transform: slim}),
		l2s:        kube.NewInformer(kc, kube.L2Announcements, &ironlbv1.L2Announcement{}, kube.InformerOptions{Transform: slim}),
		peers:      kube.NewInformer(kc, kube.BGPPeers, &ironlbv1.BGPPeer{}, kube.InformerOptions{Transform: slim}),
		anns:       kube.NewInformer(kc, kube.BGPAnnouncements, &ironlbv1.BGPAnnouncement{}, kube.InformerOptions{Transform: slim}),
		speakers:   kube.NewInformer(kc, kube.SpeakerStatuses, &ironlbv1.SpeakerStatus{}, kube.InformerOptions{Transform: slim}),
	}

	recorder := eventsink.New(kc, kc.Scheme, log.WithName("events"), eventsink.Options{
		Controller: "ironlb-controller", QPS: o.EventQPS, Burst: o.EventBurst,
	})
	state := ipam.New(c, service.ImportRequest(o.ServeClassless))
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
	annMetrics, err := announced.NewMetrics(reg)
	if err != nil {
		return err
	}

	svcs := &service.Reconciler{
		Client:         kc,
		Services:       c.services,
		Recorder:       recorder,
		State:          state,
		ServeClassless: o.ServeClassless,
		Workers:        o.Workers,
		Pools:          poolChanged,
		Retry:          retry,
		Metrics:        svcMetrics,
	}
	pools := &pool.Reconciler{Client: kc, Pools: c.pools, State: state, Changed: poolChanged, Metrics: poolMetrics}
	rep := &report.Reconciler{
		Client: kc, Recorder: recorder, Namespace: o.Namespace,
		Pools: c.pools, L2s: c.l2s, Peers: c.peers, Anns: c.anns, Secrets: c.secrets, Nodes: c.nodes, Speakers: c.speakers,
	}
	ann := &announced.Reconciler{
		Client: kc, ServeClassless: o.ServeClassless, FieldOwner: service.FieldOwner, Metrics: annMetrics,
		Services: c.services.List, SpeakerStatuses: c.speakers.List,
	}

	queues := []*kube.Queue{
		kube.NewQueue("service", o.Workers, svcs.Reconcile, log, km),
		kube.NewQueue("ippool", 1, pools.Reconcile, log, km),
		kube.NewQueue("report", 1, rep.Reconcile, log, km),
		kube.NewQueue("announced", 1, ann.Reconcile, log, km),
	}
	err = errors.Join(
		svcs.Watch(ctx, queues[0], c.pools, c.namespaces),
		pools.Watch(ctx, queues[1]),
		rep.Watch(queues[2]),
		ann.Watch(queues[3], c.services, c.speakers),
	)
	if o.MemberlistSecret != "" {
		mk := &memberkey.Reconciler{
			Client: kc, Secrets: c.secrets, Recorder: recorder,
			Secret: types.NamespacedName{Namespace: o.Namespace, Name: o.MemberlistSecret},
		}
		q := kube.NewQueue("memberkey", 1, mk.Reconcile, log, km)
		queues = append(queues, q)
		err = errors.Join(err, mk.Watch(q))
	}
	if err != nil {
		return err
	}

	g, _ := reg.(prometheus.Gatherer)
	runs := kube.Serve(log, kube.Endpoints{
		Metrics: o.MetricsAddr, Gatherer: g, Health: o.HealthAddr, Pprof: o.PprofAddr,
		// Ready once the caches are synced, whether leader or standby: a
		// standby is ready to take over.
		Ready: func() error {
			if !kube.AllSynced(c.all()) {
				return errors.New("caches not synced")
			}
			return nil
		},
	})
	for _, inf := range c.all() {
		runs = append(runs, func(ctx context.Context) error { inf.Run(ctx); return nil })
	}
	runs = append(runs, recorder.Start)

	// The reconcilers run on the leader only, once the caches are synced.
	lead := func(ctx context.Context) {
		var wg sync.WaitGroup
		wg.Go(func() { _ = poolChanged.Start(ctx) })
		wg.Go(func() { _ = retry.Start(ctx) })
		for _, q := range queues {
			wg.Go(func() { q.Run(ctx) })
		}
		wg.Wait()
	}
	runs = append(runs, kube.AfterSync(c.all(), func(ctx context.Context) error {
		if !o.LeaderElection {
			lead(ctx)
			return nil
		}
		lease := types.NamespacedName{Namespace: o.LeaderElectionNamespace, Name: o.LeaderElectionID}
		id := kube.Identity()
		return kc.Lead(ctx, kube.Election{
			Lease: lease, Identity: id,
			LeaseDuration: o.LeaseDuration, RenewDeadline: o.RenewDeadline, RetryPeriod: o.RetryPeriod,
			OnLeading: func(ctx context.Context) {
				recorder.Eventf(&coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: lease.Namespace, Name: lease.Name}}, nil,
					corev1.EventTypeNormal, "LeaderElection", "Lead", "%s became the leader", id)
				lead(ctx)
			},
			Log: log.WithName("leader"), Metrics: km,
		})
	}))
	return kube.Group(ctx, runs...)
}

// caches are the controller's informers.
type caches struct {
	services   *kube.Informer[*lbsvc.Service]
	namespaces *kube.Informer[*corev1.Namespace]
	nodes      *kube.Informer[*corev1.Node]
	secrets    *kube.Informer[*corev1.Secret]
	pools      *kube.Informer[*ironlbv1.IPPool]
	l2s        *kube.Informer[*ironlbv1.L2Announcement]
	peers      *kube.Informer[*ironlbv1.BGPPeer]
	anns       *kube.Informer[*ironlbv1.BGPAnnouncement]
	speakers   *kube.Informer[*ironlbv1.SpeakerStatus]
}

func (c *caches) all() []kube.Cache {
	return []kube.Cache{c.services, c.namespaces, c.nodes, c.secrets, c.pools, c.l2s, c.peers, c.anns, c.speakers}
}

// ipam.Cache:
func (c *caches) IPPools() []*ironlbv1.IPPool     { return c.pools.List() }
func (c *caches) Namespaces() []*corev1.Namespace { return c.namespaces.List() }
func (c *caches) Services() []*lbsvc.Service      { return c.services.List() }
