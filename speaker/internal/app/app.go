// Package app assembles the speaker: options, a manager whose cache holds
// what the node's plan reads, the BGP adapter and the loop that keeps them
// in step. speaker/main.go only parses flags into Options; tests run [Run]
// in process.
package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/eventsink"
	"github.com/ironlb/ironlb/internal/kube"
	"github.com/ironlb/ironlb/speaker/internal/bgp"
	"github.com/ironlb/ironlb/speaker/internal/layer2"
	"github.com/ironlb/ironlb/speaker/internal/members"
)

// Options configure the speaker.
type Options struct {
	// NodeName is the Node this speaker runs on.
	NodeName string
	// Namespace holds the Secrets that BGPPeers' passwords refer to: the
	// speaker's own namespace.
	Namespace string
	// ServeClassless must match the controller's setting.
	ServeClassless bool
	// At most PassBurst passes run per PassInterval: the few events of one
	// change apply at once, a storm of events is coalesced.
	PassInterval time.Duration
	PassBurst    int
	// StatusInterval bounds how often the SpeakerStatus is written.
	StatusInterval time.Duration

	// MetricsAddr and HealthAddr are listen addresses; "0" disables.
	MetricsAddr string
	HealthAddr  string
	// PprofAddr serves net/http/pprof when set; "0" or "" disables.
	PprofAddr string

	QPS   float32
	Burst int

	// Memberlist configures layer-2 liveness.
	Memberlist MemberlistOptions
	// Layer2 turns on the ARP/NDP announcer; off, the speaker ignores
	// L2Announcements.
	Layer2 bool

	// Registry receives the metrics, and the metrics endpoint serves it
	// when it is also a prometheus.Gatherer; nil means a new registry.
	Registry prometheus.Registerer
	// Log is the speaker's logger; the zero Logger means
	// controller-runtime's global one (set by main).
	Log logr.Logger
}

// Defaults returns the options the binary starts with.
func Defaults() Options {
	return Options{
		Namespace:      "ironlb-system",
		ServeClassless: true,
		PassInterval:   100 * time.Millisecond,
		PassBurst:      3,
		StatusInterval: time.Second,
		MetricsAddr:    ":7472",
		HealthAddr:     ":7473",
		QPS:            20,
		Burst:          40,
		Layer2:         true,
		Memberlist:     MemberlistOptions{Enabled: true, Port: members.DefaultPort, SecretName: "ironlb-memberlist"},
	}
}

// Validate reports every option that cannot work.
func (o Options) Validate() error {
	var errs []error
	if o.NodeName == "" {
		errs = append(errs, errors.New("the node name is required (--node-name or NODE_NAME)"))
	}
	if o.Namespace == "" {
		errs = append(errs, errors.New("the namespace is required (--namespace or POD_NAMESPACE)"))
	}
	if o.PassBurst < 1 {
		errs = append(errs, fmt.Errorf("pass burst must be at least 1, not %d", o.PassBurst))
	}
	if o.PassInterval <= 0 || o.StatusInterval <= 0 {
		errs = append(errs, fmt.Errorf("intervals must be positive (pass %s, status %s)", o.PassInterval, o.StatusInterval))
	}
	if o.Memberlist.Enabled && (o.Memberlist.Port < 1 || o.Memberlist.Port > 65535) {
		errs = append(errs, fmt.Errorf("memberlist port %d is out of range 1-65535", o.Memberlist.Port))
	}
	if o.QPS <= 0 || o.Burst < 1 {
		errs = append(errs, fmt.Errorf("QPS (%v) and burst (%d) must be positive", o.QPS, o.Burst))
	}
	return errors.Join(errs...)
}

// What the speaker reads, and the one thing it writes: its node's
// SpeakerStatus (a ValidatingAdmissionPolicy in config/speaker keeps each
// speaker to its own node's). Secrets only in its own namespace.
// +kubebuilder:rbac:groups="",resources=services;nodes,verbs=get;list;watch
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch
// +kubebuilder:rbac:groups=ironlb.io,resources=ippools;l2announcements;bgppeers;bgpannouncements,verbs=get;list;watch
// +kubebuilder:rbac:groups=ironlb.io,resources=speakerstatuses,verbs=get;create
// +kubebuilder:rbac:groups=ironlb.io,resources=speakerstatuses/status,verbs=patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",namespace=ironlb-system,resources=secrets,verbs=get;list;watch

// Run runs the speaker until ctx ends. It withdraws nothing when the API is
// unreachable: the last plan stays applied until the cache says otherwise.
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	log := o.Log
	if log.GetSink() == nil {
		log = logf.Log.WithName("speaker")
	}
	log = log.WithValues("node", o.NodeName)
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
	m, err := newMetrics(reg)
	if err != nil {
		return err
	}
	// The caches, slimmed to what a pass reads; Secrets only of our
	// namespace; every Node, since layer-2 elections rank all of them.
	c := &caches{
		services: kube.NewInformer(kc, kube.Services, &corev1.Service{}, kube.InformerOptions{Transform: slim}),
		slices:   kube.NewInformer(kc, kube.EndpointSlices, &discoveryv1.EndpointSlice{}, kube.InformerOptions{Transform: slim}),
		nodes:    kube.NewInformer(kc, kube.Nodes, &corev1.Node{}, kube.InformerOptions{Transform: slim}),
		secrets:  kube.NewInformer(kc, kube.Secrets, &corev1.Secret{}, kube.InformerOptions{Transform: slim, Namespace: o.Namespace}),
		pools:    kube.NewInformer(kc, kube.IPPools, &v1alpha1.IPPool{}, kube.InformerOptions{Transform: slim}),
		l2s:      kube.NewInformer(kc, kube.L2Announcements, &v1alpha1.L2Announcement{}, kube.InformerOptions{Transform: slim}),
		peers:    kube.NewInformer(kc, kube.BGPPeers, &v1alpha1.BGPPeer{}, kube.InformerOptions{Transform: slim}),
		anns:     kube.NewInformer(kc, kube.BGPAnnouncements, &v1alpha1.BGPAnnouncement{}, kube.InformerOptions{Transform: slim}),
	}

	speaker := bgp.New(log.WithName("bgp"), bgp.Options{})
	recorder := eventsink.New(kc, kc.Scheme, log.WithName("events"), eventsink.Options{
		Controller: "ironlb-speaker", Instance: "ironlb-speaker-" + o.NodeName,
	})
	r := &runner{
		opts: o, client: kc, caches: c, bgp: speaker, clock: clock.RealClock{}, metrics: m,
		events:   serviceEvents{recorder: recorder, node: o.NodeName},
		l2events: ownerEvents{recorder: recorder, node: o.NodeName},
	}
	l := newLoop(log, "plan", o.PassInterval, o.PassBurst, clock.RealClock{}, r.pass)
	// No pass before every cache holds its first list: a pass over a
	// partial cache would withdraw what it does not see yet, the routes a
	// router keeps for a restarting speaker (graceful restart) among them.
	runs := []func(context.Context) error{speaker.Run, kube.AfterSync(c.all(), l.Start), recorder.Start}
	if o.Layer2 {
		ann, err := layer2.New(log.WithName("layer2"), layer2.Options{})
		if err != nil {
			return err
		}
		if err := registerL2(reg, ann); err != nil {
			return err
		}
		watcher := layer2.NewWatcher(log.WithName("links"))
		r.l2, r.links = ann, watcher
		r.memberlist, r.memberPort = o.Memberlist.Enabled, o.Memberlist.Port
		lr := &layer2Runnable{watcher: watcher, ann: ann, loop: l}
		if o.Memberlist.Enabled {
			lr.start = func(ctx context.Context) (*members.Members, error) {
				m, bind, err := newMembers(ctx, log.WithName("members"), kc, o)
				if err != nil {
					return nil, err
				}
				r.setLiveness(m, bind)
				return m, nil
			}
		}
		runs = append(runs, lr.Start)
	}
	runs = append(runs, func(ctx context.Context) error {
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-speaker.Changes():
				l.Poke()
			}
		}
	})

	// Every change pokes the plan loop, except those of Services without
	// an address and of their EndpointSlices (see relevant.go).
	poke := func() { l.Poke() }
	err = errors.Join(
		c.services.Handle(filtered(poke, func(s *corev1.Service) bool { return announced(s, o.ServeClassless) })),
		c.slices.Handle(filtered(poke, func(s *discoveryv1.EndpointSlice) bool {
			return sliceMatters(c.services.Get, s, o.ServeClassless)
		})),
		c.nodes.Handle(kube.OnAny(func(*corev1.Node) { poke() })),
		c.secrets.Handle(kube.OnAny(func(*corev1.Secret) { poke() })),
		c.pools.Handle(kube.OnAny(func(*v1alpha1.IPPool) { poke() })),
		c.l2s.Handle(kube.OnAny(func(*v1alpha1.L2Announcement) { poke() })),
		c.peers.Handle(kube.OnAny(func(*v1alpha1.BGPPeer) { poke() })),
		c.anns.Handle(kube.OnAny(func(*v1alpha1.BGPAnnouncement) { poke() })),
	)
	if err != nil {
		return err
	}
	for _, inf := range c.all() {
		runs = append(runs, func(ctx context.Context) error { inf.Run(ctx); return nil })
	}
	// Alive while the process runs; ready once the first plan is applied:
	// routes handed to GoBGP and the layer-2 addresses answered. A rolling
	// update moves on only then.
	g, _ := reg.(prometheus.Gatherer)
	runs = append(runs, kube.Serve(log, kube.Endpoints{
		Metrics: o.MetricsAddr, Gatherer: g, Health: o.HealthAddr, Pprof: o.PprofAddr,
		Ready: func() error {
			if !r.applied.Load() {
				return errors.New("no plan applied yet")
			}
			return nil
		},
	})...)
	return kube.Group(logr.NewContext(ctx, log), runs...)
}

// caches are the speaker's informers.
type caches struct {
	services *kube.Informer[*corev1.Service]
	slices   *kube.Informer[*discoveryv1.EndpointSlice]
	nodes    *kube.Informer[*corev1.Node]
	secrets  *kube.Informer[*corev1.Secret]
	pools    *kube.Informer[*v1alpha1.IPPool]
	l2s      *kube.Informer[*v1alpha1.L2Announcement]
	peers    *kube.Informer[*v1alpha1.BGPPeer]
	anns     *kube.Informer[*v1alpha1.BGPAnnouncement]
}

func (c *caches) all() []kube.Cache {
	return []kube.Cache{c.services, c.slices, c.nodes, c.secrets, c.pools, c.l2s, c.peers, c.anns}
}
