// Package memberkey fills the speakers' gossip key. The install ships the
// Secret ironlb-memberlist without a key, because a manifest cannot carry a
// secret of its own; the leading controller writes 32 random bytes into it
// when the key is missing or has the wrong length, and never changes a valid
// key. Deleting the key (and restarting the speakers) rotates it.
package memberkey

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ironlb/ironlb/internal/eventsink"
	"github.com/ironlb/ironlb/internal/kube"
)

// Field is the Secret's key that holds the gossip key, as the speakers read it.
const Field = "secretkey"

// KeySize is the length of a generated key: AES-256.
const KeySize = 32

// Reconciler keeps one Secret's gossip key valid.
type Reconciler struct {
	Client   Patcher
	Secrets  *kube.Informer[*corev1.Secret]
	Recorder eventsink.EventRecorder
	// Secret names the Secret to fill.
	Secret types.NamespacedName
}

// Patcher patches objects; a *kube.Client is one.
type Patcher interface {
	Patch(ctx context.Context, r kube.Resource, key types.NamespacedName, subresource string, pt types.PatchType, body []byte, fieldManager string) error
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
func (r *Reconciler) Reconcile(ctx context.Context, req types.NamespacedName) (time.Duration, error) {
	log := logr.FromContextOrDiscard(ctx)
	s, ok := r.Secrets.Get(req) // the cache's own: read only
	if !ok {
		log.Info("The member-list Secret does not exist; layer-2 speakers wait for it. Create it (it is part of the install) and the controller fills its key",
			"secret", req.String())
		return 0, nil
	}
	if validKey(s.Data[Field]) {
		return 0, nil
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return 0, err
	}
	// The resource version makes this a compare-and-swap: two leaders in a
	// handover cannot both write a key, so the speakers never see two.
	body, err := json.Marshal(map[string]any{
		"metadata": map[string]string{"resourceVersion": s.ResourceVersion},
		"data":     map[string][]byte{Field: key},
	})
	if err != nil {
		return 0, err
	}
	had := len(s.Data[Field]) > 0
	if err := r.Client.Patch(ctx, kube.Secrets, req, "", types.MergePatchType, body, ""); err != nil {
		if apierrors.IsConflict(err) {
			// Someone wrote the Secret meanwhile: look again.
			return 100 * time.Millisecond, nil
		}
		return 0, fmt.Errorf("write the gossip key into Secret %s: %w", req, err)
	}
	note := "Generated the member-list key; speakers waiting for it start gossiping"
	if had {
		note = "Replaced a member-list key of invalid length (memberlist takes 16, 24 or 32 bytes); restart the speakers"
	}
	r.Recorder.Eventf(s, nil, corev1.EventTypeNormal, "KeyGenerated", "Generate", "%s", note)
	log.Info(note, "secret", req.String())
	return 0, nil
}

// Watch queues the one Secret whenever it changes.
func (r *Reconciler) Watch(q *kube.Queue) error {
	return r.Secrets.Handle(kube.OnAny(func(s *corev1.Secret) {
		if kube.KeyOf(s) == r.Secret {
			q.Add(r.Secret)
		}
	}))
}
