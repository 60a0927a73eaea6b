package kube

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
)

// ErrLeadershipLost is returned by Lead when the Lease could not be renewed
// within the renew deadline. The process should exit: another replica may
// already lead.
var ErrLeadershipLost = errors.New("leadership lost: the Lease was not renewed in time")

// Election configures Lead, with the semantics of client-go's leader
// election: a replica takes over a Lease whose holder has not renewed it
// for LeaseDuration, measured on the taker's own clock from when it last
// saw the Lease change, so clocks need not agree.
type Election struct {
	Lease types.NamespacedName
	// Identity names this replica in the Lease; empty means the host name
	// and a random suffix.
	Identity string
	// LeaseDuration: how long a standby waits before taking over.
	// RenewDeadline: how long the leader keeps trying to renew before it
	// gives up. RetryPeriod: the interval between attempts.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// OnLeading runs when this replica becomes the leader, with a context
	// that ends when it stops leading; Lead waits for it to return.
	OnLeading func(ctx context.Context)

	Log     logr.Logger
	Metrics *Metrics
	Clock   clock.Clock
}

// Lead campaigns for the Lease until ctx ends, runs OnLeading while it
// holds it, and releases it when ctx ends, so that a standby takes over at
// once instead of after LeaseDuration. It returns ErrLeadershipLost when a
// renewal failed for RenewDeadline, and nil when ctx ended.
func (c *Client) Lead(ctx context.Context, e Election) error {
	if e.RetryPeriod <= 0 || e.RenewDeadline <= e.RetryPeriod || e.LeaseDuration <= e.RenewDeadline {
		return fmt.Errorf("leader election needs 0 < retry period (%s) < renew deadline (%s) < lease duration (%s)",
			e.RetryPeriod, e.RenewDeadline, e.LeaseDuration)
	}
	if e.Identity == "" {
		e.Identity = Identity()
	}
	if e.Clock == nil {
		e.Clock = clock.RealClock{}
	}
	l := &lease{c: c, e: e, log: e.Log.WithValues("lease", e.Lease.String(), "identity", e.Identity)}
	e.Metrics.leading(e.Lease.Name, false)

	l.log.Info("waiting to lead")
	for !l.try(ctx) {
		if !l.sleep(ctx, jitter(e.RetryPeriod)) {
			return nil
		}
	}
	l.log.Info("leading")
	e.Metrics.leading(e.Lease.Name, true)
	defer e.Metrics.leading(e.Lease.Name, false)

	leadCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.OnLeading(leadCtx)
	}()
	err := l.renew(leadCtx)
	stop()
	<-done
	if err != nil {
		l.log.Info("stopped leading: " + err.Error())
		return err
	}
	l.release()
	return nil
}

// Identity is a replica's name in a Lease: the host name (the Pod's) and
// a random suffix, so that a restarted replica is a new holder.
func Identity() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = crand.Read(b)
	return host + "_" + hex.EncodeToString(b)
}

type lease struct {
	c   *Client
	e   Election
	log logr.Logger

	// observed is the Lease's spec as last read, and observedAt when it
	// last changed, on our clock.
	observed   coordinationv1.LeaseSpec
	observedAt time.Time
}

// renew renews the Lease every RetryPeriod until ctx ends (nil) or a
// renewal keeps failing for RenewDeadline.
func (l *lease) renew(ctx context.Context) error {
	for {
		if !l.sleep(ctx, l.e.RetryPeriod) {
			return nil
		}
		deadline := l.e.Clock.Now().Add(l.e.RenewDeadline)
		for !l.try(ctx) {
			if ctx.Err() != nil {
				return nil
			}
			if !l.e.Clock.Now().Before(deadline) {
				return ErrLeadershipLost
			}
			if !l.sleep(ctx, l.e.RetryPeriod/4) {
				return nil
			}
		}
	}
}

// try takes or renews the Lease once, and reports whether this replica
// holds it now.
func (l *lease) try(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, l.e.RenewDeadline)
	defer cancel()
	now := l.e.Clock.Now()
	var cur coordinationv1.Lease
	err := l.c.Get(ctx, Leases, l.e.Lease, &cur)
	if apierrors.IsNotFound(err) {
		cur = coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: l.e.Lease.Namespace, Name: l.e.Lease.Name}}
		cur.Spec = l.spec(coordinationv1.LeaseSpec{}, now)
		if err := l.c.Create(ctx, Leases, cur.Namespace, &cur, &cur); err != nil {
			l.log.V(1).Info("cannot create the Lease", "error", err.Error())
			return false
		}
		l.saw(cur.Spec, now)
		return true
	}
	if err != nil {
		l.log.V(1).Info("cannot read the Lease", "error", err.Error())
		return false
	}
	if !sameSpec(cur.Spec, l.observed) {
		l.saw(cur.Spec, now)
	}
	holder := ptr.Deref(cur.Spec.HolderIdentity, "")
	if holder != "" && holder != l.e.Identity && now.Before(l.observedAt.Add(l.e.LeaseDuration)) {
		return false
	}
	cur.Spec = l.spec(cur.Spec, now)
	if err := l.c.Update(ctx, Leases, l.e.Lease, &cur, &cur); err != nil {
		l.log.V(1).Info("cannot update the Lease", "error", err.Error())
		return false
	}
	l.saw(cur.Spec, now)
	return true
}

// spec is old taken or renewed by this replica at now.
func (l *lease) spec(old coordinationv1.LeaseSpec, now time.Time) coordinationv1.LeaseSpec {
	t := metav1.NewMicroTime(now)
	s := coordinationv1.LeaseSpec{
		HolderIdentity:       ptr.To(l.e.Identity),
		LeaseDurationSeconds: ptr.To(int32(l.e.LeaseDuration / time.Second)),
		AcquireTime:          old.AcquireTime,
		RenewTime:            &t,
		LeaseTransitions:     old.LeaseTransitions,
	}
	if ptr.Deref(old.HolderIdentity, "") != l.e.Identity {
		s.AcquireTime = &t
		n := ptr.Deref(old.LeaseTransitions, 0)
		if ptr.Deref(old.HolderIdentity, "") != "" {
			n++ // taken over from another replica
		}
		s.LeaseTransitions = &n
	}
	return s
}

func (l *lease) saw(s coordinationv1.LeaseSpec, now time.Time) {
	l.observed, l.observedAt = *s.DeepCopy(), now
}

// release gives the Lease up: no holder, and a one-second duration, as
// client-go does, so that a standby takes it at its next try.
func (l *lease) release() {
	ctx, cancel := context.WithTimeout(context.Background(), l.e.RenewDeadline)
	defer cancel()
	var cur coordinationv1.Lease
	if err := l.c.Get(ctx, Leases, l.e.Lease, &cur); err != nil || ptr.Deref(cur.Spec.HolderIdentity, "") != l.e.Identity {
		return
	}
	now := metav1.NewMicroTime(l.e.Clock.Now())
	cur.Spec.HolderIdentity = ptr.To("")
	cur.Spec.LeaseDurationSeconds = ptr.To(int32(1))
	cur.Spec.RenewTime = &now
	if err := l.c.Update(ctx, Leases, l.e.Lease, &cur, &cur); err != nil {
		l.log.Info("cannot release the Lease; a standby takes over when it expires", "error", err.Error())
		return
	}
	l.log.Info("released the Lease")
}

func sameSpec(a, b coordinationv1.LeaseSpec) bool {
	return ptr.Deref(a.HolderIdentity, "") == ptr.Deref(b.HolderIdentity, "") &&
		ptr.Deref(a.LeaseTransitions, 0) == ptr.Deref(b.LeaseTransitions, 0) &&
		a.RenewTime.Equal(b.RenewTime)
}

// sleep waits d, and reports false if ctx ended first.
func (l *lease) sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-l.e.Clock.After(d):
		return true
	}
}

// jitter spreads the attempts of several standbys: d to 1.2 d.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}
