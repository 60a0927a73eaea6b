package ipam

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
)

// TestConfigKey: the key ignores list order and status, and changes with
// anything the configuration is parsed from.
func TestConfigKey(t *testing.T) {
	pool := func(name string, gen int64, labels map[string]string) ironlbv1.IPPool {
		return ironlbv1.IPPool{ObjectMeta: metav1.ObjectMeta{Name: name, Generation: gen, Labels: labels}}
	}
	ns := func(name string, labels map[string]string) corev1.Namespace {
		return corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	}
	base := configKey([]ironlbv1.IPPool{pool("a", 1, nil), pool("b", 1, nil)}, []corev1.Namespace{ns("x", nil), ns("y", nil)})

	reordered := configKey([]ironlbv1.IPPool{pool("b", 1, nil), pool("a", 1, nil)}, []corev1.Namespace{ns("y", nil), ns("x", nil)})
	if reordered != base {
		t.Errorf("key depends on list order")
	}
	withStatus := pool("a", 1, nil)
	withStatus.Status.IPv4 = &ironlbv1.FamilyUsage{Usage: "1/2"}
	if configKey([]ironlbv1.IPPool{withStatus, pool("b", 1, nil)}, []corev1.Namespace{ns("x", nil), ns("y", nil)}) != base {
		t.Errorf("key depends on status")
	}
	for name, key := range map[string]string{
		"generation": configKey([]ironlbv1.IPPool{pool("a", 2, nil), pool("b", 1, nil)}, []corev1.Namespace{ns("x", nil), ns("y", nil)}),
		"pool label": configKey([]ironlbv1.IPPool{pool("a", 1, map[string]string{"k": "v"}), pool("b", 1, nil)}, []corev1.Namespace{ns("x", nil), ns("y", nil)}),
		"ns label":   configKey([]ironlbv1.IPPool{pool("a", 1, nil), pool("b", 1, nil)}, []corev1.Namespace{ns("x", map[string]string{"k": "v"}), ns("y", nil)}),
		"new ns":     configKey([]ironlbv1.IPPool{pool("a", 1, nil), pool("b", 1, nil)}, []corev1.Namespace{ns("x", nil), ns("y", nil), ns("z", nil)}),
		"pool gone":  configKey([]ironlbv1.IPPool{pool("a", 1, nil)}, []corev1.Namespace{ns("x", nil), ns("y", nil)}),
	} {
		if key == base {
			t.Errorf("key unchanged by %s", name)
		}
	}
}
