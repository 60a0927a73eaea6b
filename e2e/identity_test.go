//go:build linux

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/e2e/cluster"
	"github.com/ironlb/ironlb/internal/scheme"
)

// as returns a client with the given identity's credentials.
func as(t *testing.T, cfg *rest.Config) client.Client {
	t.Helper()
	sch, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(cfg, client.Options{Scheme: sch})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func wantForbidden(t *testing.T, what string, err error, mention string) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s: allowed, want forbidden", what)
	case !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err):
		t.Errorf("%s: %v, want forbidden", what, err)
	case !strings.Contains(err.Error(), mention):
		t.Errorf("%s: %v, want the refusal to mention %q", what, err, mention)
	}
}

// TestSpeakerLeastPrivilege uses node1's speaker token, the one its speaker
// runs with, for what a speaker must not do: the RBAC and the admission
// policy of config/ refuse it. Each refusal has an allowed twin, so that a
// broken token cannot pass as a refusal.
func TestSpeakerLeastPrivilege(t *testing.T) {
	ctx := t.Context()
	cfg, _, err := c.SpeakerConfig(ctx, "node1")
	if err != nil {
		t.Fatal(err)
	}
	speaker := as(t, cfg)
	svcKey := types.NamespacedName{Namespace: "least-privilege", Name: "web"}
	addrs := newService(t, cluster.ServiceSpec{Namespace: svcKey.Namespace, Name: svcKey.Name})

	t.Run("ServiceStatus", func(t *testing.T) {
		var svc corev1.Service
		if err := speaker.Get(ctx, svcKey, &svc); err != nil {
			t.Fatalf("a speaker reads Services: %v", err)
		}
		if len(svc.Status.LoadBalancer.Ingress) == 0 || svc.Status.LoadBalancer.Ingress[0].IP != addrs[0].String() {
			t.Fatalf("status %v, want %s", svc.Status.LoadBalancer, addrs[0])
		}
		patch := client.MergeFrom(svc.DeepCopy())
		svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.66"}}
		wantForbidden(t, "speaker patches a Service's status", speaker.Status().Patch(ctx, &svc, patch), "services/status")
	})

	// Dry runs: admission (RBAC, then the policy) decides, nothing is stored.
	t.Run("SpeakerStatus", func(t *testing.T) {
		for _, node := range []string{"node1", "node2"} {
			var ss v1alpha1.SpeakerStatus
			eventually(t, "SpeakerStatus "+node, func(ctx context.Context) (bool, string) {
				err := c.Env.Client.Get(ctx, types.NamespacedName{Name: node}, &ss)
				return err == nil, fmt.Sprint(err)
			})
			patch := client.MergeFrom(ss.DeepCopy())
			ss.Status.L2 = append(ss.Status.L2, v1alpha1.L2Owned{IP: "203.0.113.99", Services: []string{"probe/probe"}, Interfaces: []string{"probe"}})
			err := speaker.Status().Patch(ctx, &ss, patch, client.DryRunAll)
			if node == "node1" {
				if err != nil {
					t.Errorf("node1's speaker writes its own SpeakerStatus: %v", err)
				}
				continue
			}
			wantForbidden(t, "node1's speaker writes node2's SpeakerStatus", err, "its own node")
		}
		foreign := &v1alpha1.SpeakerStatus{ObjectMeta: metav1.ObjectMeta{Name: "node9"}}
		wantForbidden(t, "node1's speaker creates node9's SpeakerStatus", speaker.Create(ctx, foreign, client.DryRunAll), "its own node")
		// The admin is not a speaker: the policy does not apply to it.
		if err := c.Env.Client.Create(ctx, foreign, client.DryRunAll); err != nil {
			t.Errorf("the admin creates node9's SpeakerStatus: %v", err)
		}
	})

	t.Run("Secrets", func(t *testing.T) {
		other := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "not-for-ironlb"}, StringData: map[string]string{"k": "v"}}
		if err := c.Env.Client.Create(ctx, other); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		var s corev1.Secret
		if err := speaker.Get(ctx, types.NamespacedName{Namespace: cluster.Namespace, Name: cluster.MemberlistSecret}, &s); err != nil {
			t.Errorf("a speaker reads the member-list Secret: %v", err)
		}
		wantForbidden(t, "a speaker reads a Secret in default", speaker.Get(ctx, client.ObjectKeyFromObject(other), &s), `cannot get resource "secrets"`)
		wantForbidden(t, "a speaker lists Secrets of all namespaces", speaker.List(ctx, &corev1.SecretList{}), `cannot list resource "secrets"`)
	})
}

// TestControllerLeastPrivilege checks the controller's token: it may fill
// the member-list key but no other Secret, and reads no Secret outside
// ironlb-system.
func TestControllerLeastPrivilege(t *testing.T) {
	ctx := t.Context()
	cfg, _, err := c.ControllerConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ctrl := as(t, cfg)
	peerSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: cluster.Namespace, Name: "least-privilege-probe"}, StringData: map[string]string{"password": "x"}}
	if err := c.Env.Client.Create(ctx, peerSecret); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Env.Client.Delete(context.Background(), peerSecret) })
	for _, name := range []string{cluster.MemberlistSecret, peerSecret.Name} {
		var s corev1.Secret
		if err := ctrl.Get(ctx, types.NamespacedName{Namespace: cluster.Namespace, Name: name}, &s); err != nil {
			t.Fatalf("the controller reads Secret %s: %v", name, err)
		}
		patch := client.MergeFrom(s.DeepCopy())
		s.Labels = map[string]string{"probe": "1"}
		err := ctrl.Patch(ctx, &s, patch, client.DryRunAll)
		if name == cluster.MemberlistSecret {
			if err != nil {
				t.Errorf("the controller patches the member-list Secret: %v", err)
			}
			continue
		}
		wantForbidden(t, "the controller patches Secret "+name, err, `cannot patch resource "secrets"`)
	}
	var s corev1.Secret
	wantForbidden(t, "the controller reads a Secret in kube-system", ctrl.Get(ctx, types.NamespacedName{Namespace: "kube-system", Name: "x"}, &s), `cannot get resource "secrets"`)
}
