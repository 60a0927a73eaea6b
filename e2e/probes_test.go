//go:build linux

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ironlb/ironlb/e2e/cluster"
	"github.com/ironlb/ironlb/e2e/lab"
)

// probe asks a node's speaker for a health endpoint over its loopback and
// returns the HTTP status line.
func probe(ctx context.Context, node, path string) string {
	out, err := c.Lab.Exec(ctx, node, "bash", "-c",
		fmt.Sprintf(`exec 3<>/dev/tcp/127.0.0.1/7473 && printf 'GET %s HTTP/1.0\r\n\r\n' >&3 && head -n1 <&3`, path))
	if err != nil {
		return err.Error()
	}
	return strings.TrimSpace(string(out))
}

func ok(status string) bool { return strings.Contains(status, " 200 ") }

// TestProbes: the controller is ready once its caches synced; a speaker is
// ready only once it has applied a plan, so one that starts while the
// apiserver is unreachable stays unready until it can plan.
func TestProbes(t *testing.T) {
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + c.ControllerHealthAddr() + path)
		if err != nil {
			t.Fatalf("controller %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("controller %s: %s %s", path, resp.Status, body)
		}
		for i := 1; i <= 3; i++ {
			node := lab.NodeName(i)
			if s := probe(t.Context(), node, path); !ok(s) {
				t.Errorf("speaker %s %s: %s", node, path, s)
			}
		}
	}

	// node3's speaker restarts as a ServiceAccount without any RBAC: it
	// is alive, but its caches cannot sync, so it plans nothing and is not
	// ready. Bound to the speaker's roles, it plans and becomes ready.
	ctx := t.Context()
	node := lab.NodeName(3)
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: cluster.Namespace, Name: probeAccount}}
	if err := c.Env.Client.Create(ctx, sa); err != nil {
		t.Fatal(err)
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: probeAccount},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: cluster.SpeakerAccount},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: cluster.Namespace, Name: probeAccount}},
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: cluster.Namespace, Name: probeAccount},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: cluster.SpeakerAccount},
		Subjects:   crb.Subjects,
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if err := c.StopSpeaker(node); err != nil {
			t.Error(err)
		}
		for _, o := range []client.Object{crb, rb, sa} {
			_ = c.Env.Client.Delete(ctx, o)
		}
		if err := c.StartSpeaker(node); err != nil {
			t.Fatal(err)
		}
		// t.Context is done in a cleanup: wait with one of our own.
		ctx, cancel := context.WithTimeout(ctx, waitTimeout)
		defer cancel()
		for s := ""; !ok(s); s = probe(ctx, node, "/readyz") {
			select {
			case <-ctx.Done():
				t.Fatalf("node3's own speaker is not ready again: %s", s)
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	_, kubeconfig, err := c.PodConfig(ctx, node, probeAccount)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.StopSpeaker(node); err != nil {
		t.Fatal(err)
	}
	if err := c.StartSpeakerWith(node, kubeconfig); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the unbound speaker serves /healthz", func(ctx context.Context) (bool, string) {
		s := probe(ctx, node, "/healthz")
		return ok(s), s
	})
	for range 10 {
		if s := probe(ctx, node, "/readyz"); ok(s) || !strings.Contains(s, "HTTP/") {
			t.Fatalf("a speaker that cannot read the API: /readyz %q, want an HTTP error status", s)
		}
	}
	for _, o := range []client.Object{crb, rb} {
		if err := c.Env.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the speaker is ready once it planned", func(ctx context.Context) (bool, string) {
		s := probe(ctx, node, "/readyz")
		return ok(s), s
	})
}

// probeAccount is the ServiceAccount TestProbes runs a speaker as, at first
// without any RBAC: its refusals are expected (see deniedInLogs).
const probeAccount = "ironlb-probe"
