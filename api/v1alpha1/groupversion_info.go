// Package v1alpha1 holds the ironlb.io/v1alpha1 API: IP pools, layer-2 and BGP
// announcements, BGP peers and the per-node speaker status.
//
// Every rule that one object alone can break is enforced at admission by the
// OpenAPI schema and CEL rules generated from the markers here; rules that
// span objects (overlapping pools, dangling references) are checked by
// internal/config and reported in status conditions.
//
// The package imports apimachinery only, so that any client (the controller,
// the speaker, a CLI) can use it without pulling in controller-runtime.
//
// +kubebuilder:object:generate=true
// +groupName=ironlb.io
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the group and version of every kind in this package.
var GroupVersion = schema.GroupVersion{Group: "ironlb.io", Version: "v1alpha1"}

var schemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

// AddToScheme adds the kinds of this package to a scheme.
var AddToScheme = schemeBuilder.AddToScheme

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&IPPool{}, &IPPoolList{},
		&L2Announcement{}, &L2AnnouncementList{},
		&BGPPeer{}, &BGPPeerList{},
		&BGPAnnouncement{}, &BGPAnnouncementList{},
		&SpeakerStatus{}, &SpeakerStatusList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
