package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Community is a BGP community attached to announced routes: a standard
// community "65000:100" (two numbers 0-65535, RFC 1997), a well-known name
// ("no-export", "no-advertise", "no-export-subconfed", "no-peer", "blackhole",
// "graceful-shutdown", "accept-own", "llgr-stale", "no-llgr"), or a large
// community "large:64500:1:2" (three numbers 0-4294967295, RFC 8092).
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=40
// +kubebuilder:validation:XValidation:rule="self in ['no-export', 'no-advertise', 'no-export-subconfed', 'no-peer', 'blackhole', 'graceful-shutdown', 'accept-own', 'llgr-stale', 'no-llgr'] || (self.matches('^[0-9]{1,5}:[0-9]{1,5}$') && self.split(':').all(p, int(p) <= 65535)) || (self.matches('^large:[0-9]{1,10}:[0-9]{1,10}:[0-9]{1,10}$') && self.substring(6).split(':').all(p, int(p) <= 4294967295))",message="must be a standard community 65000:100 (numbers 0-65535), a well-known name (no-export, no-advertise, no-export-subconfed, no-peer, blackhole, graceful-shutdown, accept-own, llgr-stale, no-llgr) or a large community large:64500:1:2 (numbers 0-4294967295)"
type Community string

// BGPAnnouncementSpec is the desired state of a BGPAnnouncement.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.ipPools) && has(self.ipPoolSelector))",message="set ipPools or ipPoolSelector, not both"
// +kubebuilder:validation:XValidation:rule="!(has(self.peers) && has(self.peerSelector))",message="set peers or peerSelector, not both"
type BGPAnnouncementSpec struct {
	// IPPools lists the pools whose addresses are advertised. With neither
	// ipPools nor ipPoolSelector, every pool is.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=256
	// +listType=set
	// +optional
	IPPools []ObjectName `json:"ipPools,omitempty"`

	// IPPoolSelector selects the pools by label.
	// +optional
	IPPoolSelector *metav1.LabelSelector `json:"ipPoolSelector,omitempty"`

	// Peers lists the BGPPeers that receive the routes. With neither peers
	// nor peerSelector, every peer does.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=256
	// +listType=set
	// +optional
	Peers []ObjectName `json:"peers,omitempty"`

	// PeerSelector selects the peers by label.
	// +optional
	PeerSelector *metav1.LabelSelector `json:"peerSelector,omitempty"`

	// NodeSelector limits the nodes that advertise. Empty means every node.
	// +optional
	NodeSelector *metav1.LabelSelector `json:"nodeSelector,omitempty"`

	// AggregationLength is the prefix length advertised for IPv4 addresses:
	// 32 advertises each address, shorter lengths the covering prefix.
	// +kubebuilder:default=32
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=32
	// +optional
	AggregationLength *int32 `json:"aggregationLength,omitempty"`

	// AggregationLengthV6 is the same for IPv6 addresses.
	// +kubebuilder:default=128
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=128
	// +optional
	AggregationLengthV6 *int32 `json:"aggregationLengthV6,omitempty"`

	// LocalPref is the LOCAL_PREF attribute, sent on iBGP sessions only.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	// +optional
	LocalPref *int64 `json:"localPref,omitempty"`

	// Communities attached to the routes.
	// +kubebuilder:validation:MaxItems=64
	// +listType=set
	// +optional
	Communities []Community `json:"communities,omitempty"`
}

// BGPAnnouncementStatus is the observed state of a BGPAnnouncement.
type BGPAnnouncementStatus struct {
	// Conditions: Ready.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// BGPAnnouncement advertises the addresses of some pools to some BGP peers
// from some nodes, with the given attributes.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=bgpa
// +kubebuilder:printcolumn:name="Pools",type=string,JSONPath=`.spec.ipPools`
// +kubebuilder:printcolumn:name="Peers",type=string,JSONPath=`.spec.peers`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type BGPAnnouncement struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   BGPAnnouncementSpec   `json:"spec,omitempty"`
	Status BGPAnnouncementStatus `json:"status,omitempty"`
}

// BGPAnnouncementList is a list of BGPAnnouncements.
//
// +kubebuilder:object:root=true
type BGPAnnouncementList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BGPAnnouncement `json:"items"`
}
