package app

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/cache"
)

// slim drops from cached objects what the controller never reads. (Services
// are cached in a form of their own, lbsvc.Service.) Patches are computed
// between two copies of the same slimmed object, so the dropped fields are
// never written back.
func slim(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
		m.SetOwnerReferences(nil)
		m.SetFinalizers(nil)
	}
	switch o := obj.(type) {
	case *corev1.Namespace:
		o.Annotations = nil
		o.Spec = corev1.NamespaceSpec{}
	case *corev1.Node:
		// Only labels are read (BGPPeer nodeSelectors); a Node's status
		// (images, conditions) is most of it.
		o.Annotations = nil
		o.Spec, o.Status = corev1.NodeSpec{}, corev1.NodeStatus{}
	case *corev1.Secret:
		o.Annotations = nil
	}
	return obj, nil
}

var _ cache.TransformFunc = slim
