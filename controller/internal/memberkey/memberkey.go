// Package memberkey fills the speakers' gossip key. The install ships the
// Secret ironlb-memberlist without a key, because a manifest cannot carry a
// secret of its own; the leading controller writes 32 random bytes into it
// when the key is missing or has the wrong length, and never changes a valid
// key. Deleting the key (and restarting the speakers) rotates it.
package memberkey

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Field is the Secret's key that holds the gossip key, as the speakers read it.
const Field = "secretkey"

// KeySize is the length of a generated key: AES-256.
const KeySize = 32

// Reconciler keeps one Secret's gossip key valid.
type Reconciler struct {
	Client   client.Client
	Recorder events.EventRecorder
	// Secret names the Secret to fill.
	Secret types.NamespacedName
}

// +kubebuilder:rbac:groups="",namespace=ironlb-system,resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",namespace=ironlb-system,resources=secrets,resourceNames=ironlb-memberlist,verbs=patch;update

// validKey reports whether memberlist accepts k as an AES key, as
// memberlist.ValidateKey does; the controller does not link memberlist for
// this one check, and TestValidKeyAgreesWithMemberlist keeps them equal.
func validKey(k []byte) bool {
	switch len(k) {
	case 16, 24, 32:
		return true
	}
	return false
}

// Reconcile writes a fresh key into the Secret when it has none.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var s corev1.Secret
	if err := r.Client.Get(ctx, req.NamespacedName, &s); err != nil {
		if apierrors.IsNotFound(err) {
			ctrl.LoggerFrom(ctx).Info("The member-list Secret does not exist; layer-2 speakers wait for it. Create it (it is part of the install) and the controller fills its key",
				"secret", req.String())
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, err
	}
	if validKey(s.Data[Field]) {
		return reconcile.Result{}, nil
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return reconcile.Result{}, err
	}
	// The resource version makes this a compare-and-swap: two leaders in a
	// handover cannot both write a key, so the speakers never see two.
	patch := client.MergeFromWithOptions(s.DeepCopy(), client.MergeFromWithOptimisticLock{})
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	had := len(s.Data[Field]) > 0
	s.Data[Field] = key
	if err := r.Client.Patch(ctx, &s, patch); err != nil {
		if apierrors.IsConflict(err) {
			// Someone wrote the Secret meanwhile: look again.
			return reconcile.Result{RequeueAfter: 100 * time.Millisecond}, nil
		}
		return reconcile.Result{}, fmt.Errorf("write the gossip key into Secret %s: %w", req, err)
	}
	note := "Generated the member-list key; speakers waiting for it start gossiping"
	if had {
		note = "Replaced a member-list key of invalid length (memberlist takes 16, 24 or 32 bytes); restart the speakers"
	}
	r.Recorder.Eventf(&s, nil, corev1.EventTypeNormal, "KeyGenerated", "Generate", note)
	ctrl.LoggerFrom(ctx).Info(note, "secret", req.String())
	return reconcile.Result{}, nil
}

// SetupWithManager watches the one Secret. Only the leader writes.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	only := predicate.NewPredicateFuncs(func(o client.Object) bool {
		return o.GetNamespace() == r.Secret.Namespace && o.GetName() == r.Secret.Name
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("memberkey").
		For(&corev1.Secret{}, builder.WithPredicates(only)).
		Complete(r)
}
