package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// L2AnnouncementSpec is the desired state of an L2Announcement.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.ipPools) && has(self.ipPoolSelector))",message="set ipPools or ipPoolSelector, not both"
type L2AnnouncementSpec struct {
	// IPPools lists the pools whose addresses are announced. With neither
	// ipPools nor ipPoolSelector, every pool is.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=256
	// +listType=set
	// +optional
	IPPools []ObjectName `json:"ipPools,omitempty"`

	// IPPoolSelector selects the pools by label.
	// +optional
	IPPoolSelector *metav1.LabelSelector `json:"ipPoolSelector,omitempty"`

	// NodeSelector limits which nodes may answer for the addresses. Empty
	// means every node.
	// +optional
	NodeSelector *metav1.LabelSelector `json:"nodeSelector,omitempty"`

	// Interfaces the speaker answers ARP/NDP on: names or globs. Empty means
	// the interfaces that carry the node's InternalIP subnet.
	// +kubebuilder:validation:MaxItems=64
	// +listType=set
	// +optional
	Interfaces []InterfaceName `json:"interfaces,omitempty"`
}

// L2AnnouncementStatus is the observed state of an L2Announcement.
type L2AnnouncementStatus struct {
	// Conditions: Ready.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// L2Announcement makes the addresses of some pools reachable on a LAN: one
// node per address answers ARP (IPv4) and NDP (IPv6) for it.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=l2a
// +kubebuilder:printcolumn:name="Pools",type=string,JSONPath=`.spec.ipPools`
// +kubebuilder:printcolumn:name="Interfaces",type=string,JSONPath=`.spec.interfaces`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type L2Announcement struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   L2AnnouncementSpec   `json:"spec,omitempty"`
	Status L2AnnouncementStatus `json:"status,omitempty"`
}

// L2AnnouncementList is a list of L2Announcements.
//
// +kubebuilder:object:root=true
type L2AnnouncementList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []L2Announcement `json:"items"`
}
