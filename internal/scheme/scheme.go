// Package scheme builds the runtime scheme every ironlb binary and test uses:
// the Kubernetes core kinds plus ironlb.io/v1alpha1.
package scheme

import (
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
)

// New returns a scheme with the core kinds and ironlb's kinds.
func New() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := ironlbv1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}
