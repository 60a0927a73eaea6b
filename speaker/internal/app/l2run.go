package app

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/ironlb/ironlb/internal/kube"
	"github.com/ironlb/ironlb/speaker/internal/layer2"
	"github.com/ironlb/ironlb/speaker/internal/members"
)

// MemberlistOptions configure the speakers' member list (layer-2
// liveness).
type MemberlistOptions struct {
	// Enabled turns the member list on; off, a node counts as alive while
	// its Node is Ready, which takes the node controller's 40 s or more.
	Enabled bool
	// BindAddr is the address to gossip on; empty means the node's first
	// InternalIP, read from its Node.
	BindAddr string
	Port     int
	// SecretName is the Secret (in the speaker's namespace) whose key
	// "secretkey" holds the gossip key (16, 24 or 32 bytes); empty gossips
	// in clear text, which anyone on the network can join: for tests only.
	SecretName string
	// Probe timings; zero values take members' defaults.
	ProbeInterval, ProbeTimeout time.Duration
	SuspicionMult               int
}

// SecretKeyField is the key of the gossip key in the memberlist Secret.
const SecretKeyField = "secretkey"

// newMembers resolves what the member list needs from the API (the node's
// address, the gossip key), retrying until ctx ends: a speaker that cannot
// read them cannot take part in layer-2 elections.
func newMembers(ctx context.Context, log logr.Logger, api *kube.Client, o Options) (*members.Members, netip.Addr, error) {
	mo := o.Memberlist
	var (
		bind netip.Addr
		key  []byte
	)
	err := wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		if mo.BindAddr != "" {
			a, err := netip.ParseAddr(mo.BindAddr)
			if err != nil {
				return false, fmt.Errorf("memberlist bind address %q: %w", mo.BindAddr, err)
			}
			bind = a
		} else {
			var node corev1.Node
			if err := api.Get(ctx, kube.Nodes, types.NamespacedName{Name: o.NodeName}, &node); err != nil {
				log.Error(err, "Reading the Node for the member-list address; retrying")
				return false, nil
			}
			ips := internalIPs(&node)
			if len(ips) == 0 {
				log.Info("The Node has no InternalIP yet; retrying")
				return false, nil
			}
			bind = ips[0]
		}
		if mo.SecretName != "" {
			var s corev1.Secret
			if err := api.Get(ctx, kube.Secrets, types.NamespacedName{Namespace: o.Namespace, Name: mo.SecretName}, &s); err != nil {
				log.Error(err, "Reading the member-list Secret; retrying", "secret", o.Namespace+"/"+mo.SecretName)
				return false, nil
			}
			key = s.Data[SecretKeyField]
			if len(key) == 0 {
				log.Info("The member-list Secret has no key; retrying", "secret", o.Namespace+"/"+mo.SecretName, "field", SecretKeyField)
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return nil, netip.Addr{}, err
	}
	m, err := members.New(log, members.Options{
		NodeName: o.NodeName, BindAddr: bind, Port: mo.Port, Key: key,
		ProbeInterval: mo.ProbeInterval, ProbeTimeout: mo.ProbeTimeout, SuspicionMult: mo.SuspicionMult,
	})
	return m, bind, err
}

// layer2Runnable runs the link watcher, the announcer and the member list,
// and pokes the plan loop on their changes. On shutdown it leaves the
// member list first and stops answering only then, so that the other
// speakers take over while this node still answers (DESIGN.md §4).
type layer2Runnable struct {
	watcher *layer2.Watcher
	ann     *layer2.Announcer
	// start builds the member list once the API has told its address; nil
	// when the member list is off.
	start func(ctx context.Context) (*members.Members, error)
	loop  *loop
}

func (l *layer2Runnable) Start(ctx context.Context) error {
	// The announcer and the watcher outlive ctx until the member list has
	// been left.
	inner, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	run := func(f func(context.Context) error, c context.Context) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(c); err != nil {
				errs <- err
			}
		}()
	}
	run(l.watcher.Run, inner)
	run(l.ann.Run, inner)
	forward := func(c <-chan struct{}) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-inner.Done():
					return
				case <-c:
					l.loop.Poke()
				}
			}
		}()
	}
	forward(l.watcher.Changes())

	var memDone chan struct{}
	if l.start != nil {
		m, err := l.start(ctx)
		if err != nil {
			stop()
			wg.Wait()
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("member list: %w", err)
		}
		forward(m.Changes())
		memDone = make(chan struct{})
		go func() {
			defer close(memDone)
			if err := m.Run(ctx); err != nil {
				errs <- err
			}
		}()
		l.loop.Poke()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	if memDone != nil {
		// Run leaves before it returns; wait for that, then stop answering.
		<-memDone
	}
	stop()
	wg.Wait()
	close(errs)
	for e := range errs {
		err = errors.Join(err, e)
	}
	return err
}
