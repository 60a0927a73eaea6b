// Package app assembles the speaker: options, a manager whose cache holds
// what the node's plan reads, the BGP adapter and the loop that keeps them
// in step. speaker/main.go only parses flags into Options; tests run [Run]
// in process.
package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/eventsink"
	"github.com/ironlb/ironlb/internal/scheme"
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

	// Registry receives the metrics; nil means controller-runtime's global
	// registry, which the metrics endpoint serves.
	Registry prometheus.Registerer
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
// +kubebuilder:rbac:groups=ironlb.io,resources=speakerstatuses,verbs=get;list;watch;create
// +kubebuilder:rbac:groups=ironlb.io,resources=speakerstatuses/status,verbs=get;patch;update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",namespace=ironlb-system,resources=secrets,verbs=get;list;watch

// Run runs the speaker until ctx ends. It withdraws nothing when the API is
// unreachable: the last plan stays applied until the cache says otherwise.
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	cfg = rest.CopyConfig(cfg)
	// JSON, not protobuf: the speaker creates a custom resource (its
	// SpeakerStatus), which has no protobuf encoding, and its traffic is
	// small.
	cfg.QPS, cfg.Burst = o.QPS, o.Burst
	sch, err := scheme.New()
	if err != nil {
		return err
	}
	reg := o.Registry
	if reg == nil {
		reg = ctrlmetrics.Registry
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 sch,
		Metrics:                metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress: o.HealthAddr,
		PprofBindAddress:       o.PprofAddr,
		Cache: cache.Options{
			DefaultTransform: slim,
			ByObject: map[client.Object]cache.ByObject{
				// Only our namespace's Secrets. Every Node (slimmed):
				// layer-2 elections rank all of them.
				&corev1.Secret{}: {Namespaces: map[string]cache.Config{o.Namespace: {}}},
			},
		},
	})
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return err
	}
	log := ctrl.Log.WithName("speaker").WithValues("node", o.NodeName)
	speaker := bgp.New(log.WithName("bgp"), bgp.Options{})
	recorder := eventsink.New(eventCreator{mgr.GetClient()}, sch, log.WithName("events"), eventsink.Options{
		Controller: "ironlb-speaker", Instance: "ironlb-speaker-" + o.NodeName,
	})
	if err := mgr.Add(recorder); err != nil {
		return err
	}
	r := &runner{
		opts: o, client: mgr.GetClient(), bgp: speaker, clock: clock.RealClock{}, metrics: m,
		events:   serviceEvents{recorder: recorder, node: o.NodeName},
		l2events: ownerEvents{recorder: recorder, node: o.NodeName},
	}
	l := newLoop(log, "plan", o.PassInterval, o.PassBurst, clock.RealClock{}, r.pass)
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
				m, bind, err := newMembers(ctx, log.WithName("members"), mgr.GetAPIReader(), o)
				if err != nil {
					return nil, err
				}
				r.setLiveness(m, bind)
				return m, nil
			}
		}
		if err := mgr.Add(lr); err != nil {
			return err
		}
	}

	if err := mgr.Add(manager.RunnableFunc(speaker.Run)); err != nil {
		return err
	}
	if err := mgr.Add(l); err != nil {
		return err
	}
	if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-speaker.Changes():
				l.Poke()
			}
		}
	})); err != nil {
		return err
	}
	poke := toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { l.Poke() },
		UpdateFunc: func(any, any) { l.Poke() },
		DeleteFunc: func(any) { l.Poke() },
	}
	// The watches are set up once the manager runs, not before: setting
	// one up asks the apiserver, and the health endpoints must answer
	// (alive, not ready) even while it cannot be reached.
	if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		for _, obj := range []client.Object{
			&corev1.Service{}, &discoveryv1.EndpointSlice{}, &corev1.Node{}, &corev1.Secret{},
			&v1alpha1.IPPool{}, &v1alpha1.L2Announcement{}, &v1alpha1.BGPPeer{}, &v1alpha1.BGPAnnouncement{},
		} {
			inf, err := mgr.GetCache().GetInformer(ctx, obj)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("watch %T: %w", obj, err)
			}
			handler := poke
			switch obj.(type) {
			case *corev1.Service:
				handler = filteredPoke(l.Poke, func(x any) bool { return announced(x, o.ServeClassless) })
			case *discoveryv1.EndpointSlice:
				handler = filteredPoke(l.Poke, func(x any) bool { return sliceMatters(ctx, mgr.GetCache(), x, o.ServeClassless) })
			}
			if _, err := inf.AddEventHandler(handler); err != nil {
				return fmt.Errorf("watch %T: %w", obj, err)
			}
		}
		return nil
	})); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	// Ready once the first plan is applied: routes handed to GoBGP and the
	// layer-2 addresses answered. A rolling update moves on only then.
	if err := mgr.AddReadyzCheck("plan", func(*http.Request) error {
		if !r.applied.Load() {
			return errors.New("no plan applied yet")
		}
		return nil
	}); err != nil {
		return err
	}
	return mgr.Start(logr.NewContext(ctx, log))
}

// eventCreator creates the recorder's Events with the manager's client.
type eventCreator struct{ c client.Client }

func (e eventCreator) CreateEvent(ctx context.Context, ev *eventsv1.Event) error {
	return e.c.Create(ctx, ev)
}
