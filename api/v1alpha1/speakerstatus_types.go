package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BGPSessionState is the state of a BGP session (RFC 4271 §8).
//
// +kubebuilder:validation:Enum=Idle;Connect;Active;OpenSent;OpenConfirm;Established
type BGPSessionState string

// BGP session states.
const (
	BGPStateIdle        BGPSessionState = "Idle"
	BGPStateConnect     BGPSessionState = "Connect"
	BGPStateActive      BGPSessionState = "Active"
	BGPStateOpenSent    BGPSessionState = "OpenSent"
	BGPStateOpenConfirm BGPSessionState = "OpenConfirm"
	BGPStateEstablished BGPSessionState = "Established"
)

// BGPSession is one BGP session of a node.
type BGPSession struct {
	// Peer is the name of the BGPPeer.
	Peer string `json:"peer"`
	// Address of the router.
	Address string `json:"address"`
	// State of the session.
	State BGPSessionState `json:"state"`
	// Since is when the session entered State.
	// +optional
	Since *metav1.Time `json:"since,omitempty"`
	// PrefixesSent is how many prefixes the node advertises on the session.
	// +optional
	PrefixesSent int32 `json:"prefixesSent"`
	// Advertised are the Service addresses the node advertises on the
	// session while it is Established, as addresses, CIDRs or first-last
	// ranges (consecutive addresses are merged, so the list stays short).
	// +listType=atomic
	// +optional
	Advertised []string `json:"advertised,omitempty"`
	// LastError is the last error the session saw, if any.
	// +optional
	LastError string `json:"lastError,omitempty"`
}

// L2Owned is an address that a node answers ARP or NDP for.
type L2Owned struct {
	// IP is the address.
	IP string `json:"ip"`
	// Services that use the address, as namespace/name.
	// +listType=set
	Services []string `json:"services"`
	// Interfaces the node answers on.
	// +listType=set
	Interfaces []string `json:"interfaces"`
}

// SpeakerStatusStatus is what the speaker on one node reports.
type SpeakerStatusStatus struct {
	// Sessions are the node's BGP sessions.
	// +listType=map
	// +listMapKey=peer
	// +optional
	Sessions []BGPSession `json:"sessions,omitempty"`
	// L2 lists the addresses this node owns in layer-2 mode.
	// +listType=map
	// +listMapKey=ip
	// +optional
	L2 []L2Owned `json:"l2,omitempty"`
	// Conditions: Ready (the speaker applied its plan).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// SpeakerStatus is the state of the speaker on one node. It is named after
// the node and written only by that node's speaker.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=spks
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type SpeakerStatus struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Status SpeakerStatusStatus `json:"status,omitempty"`
}

// SpeakerStatusList is a list of SpeakerStatuses.
//
// +kubebuilder:object:root=true
type SpeakerStatusList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []SpeakerStatus `json:"items"`
}
