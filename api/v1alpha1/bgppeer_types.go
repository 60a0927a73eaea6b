package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BGPPeerSpec is the desired state of a BGPPeer. Times are Go durations
// ("90s", "1m30s") in whole seconds, as BGP carries them.
//
// +kubebuilder:validation:XValidation:rule="!has(self.keepaliveTime) || duration(self.keepaliveTime) <= duration(has(self.holdTime) ? self.holdTime : '90s')",message="keepaliveTime must not exceed holdTime (default 90s); with holdTime 0s it must be 0s"
// +kubebuilder:validation:XValidation:rule="!has(self.keepaliveTime) || duration(self.keepaliveTime) != duration('0s') || duration(has(self.holdTime) ? self.holdTime : '90s') == duration('0s')",message="keepaliveTime 0s sends no keepalives, so the router would drop the session after holdTime: set holdTime 0s too"
// +kubebuilder:validation:XValidation:rule="!has(self.sourceAddress) || ip(self.sourceAddress).family() == ip(self.address).family()",message="sourceAddress must be of the same family as address"
// +kubebuilder:validation:XValidation:rule="!has(self.ebgpMultihop) || self.asn != self.localASN",message="ebgpMultihop applies to eBGP sessions only: asn equals localASN here, which makes this iBGP"
type BGPPeerSpec struct {
	// Address of the router, IPv4 or IPv6.
	// +kubebuilder:validation:MaxLength=45
	// +kubebuilder:validation:XValidation:rule="isIP(self) && !ip(self).isUnspecified()",message="must be an IPv4 or IPv6 address such as 198.51.100.1 or 2001:db8::1"
	Address string `json:"address"`

	// ASN is the router's autonomous system number.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=4294967295
	ASN int64 `json:"asn"`

	// LocalASN is the nodes' autonomous system number on this session; equal
	// to asn for iBGP.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=4294967295
	LocalASN int64 `json:"localASN"`

	// Port is the router's BGP port.
	// +kubebuilder:default=179
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`

	// SourceAddress is the local address the session uses; by default the
	// node's address on the route to the router.
	// +kubebuilder:validation:MaxLength=45
	// +kubebuilder:validation:XValidation:rule="isIP(self) && !ip(self).isUnspecified()",message="must be an IPv4 or IPv6 address"
	// +optional
	SourceAddress string `json:"sourceAddress,omitempty"`

	// RouterID is the BGP identifier the nodes use on this session; by
	// default the node's IPv4 InternalIP.
	// +kubebuilder:validation:MaxLength=15
	// +kubebuilder:validation:XValidation:rule="isIP(self) && ip(self).family() == 4 && !ip(self).isUnspecified()",message="must be a non-zero IPv4 address (a BGP identifier is 32 bits, RFC 6286)"
	// +optional
	RouterID string `json:"routerID,omitempty"`

	// HoldTime: 0s (no keepalives) or 3s to 65535s.
	// +kubebuilder:default="90s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) == duration('0s') || (duration(self) >= duration('3s') && duration(self) <= duration('65535s'))",message="must be 0s or between 3s and 65535s"
	// +kubebuilder:validation:XValidation:rule="duration(self).getMilliseconds() % 1000 == 0",message="must be whole seconds"
	// +optional
	HoldTime *metav1.Duration `json:"holdTime,omitempty"`

	// KeepaliveTime defaults to a third of holdTime and never exceeds it.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('0s') && duration(self) <= duration('65535s')",message="must be between 0s and 65535s"
	// +kubebuilder:validation:XValidation:rule="duration(self).getMilliseconds() % 1000 == 0",message="must be whole seconds"
	// +optional
	KeepaliveTime *metav1.Duration `json:"keepaliveTime,omitempty"`

	// ConnectTime is the initial wait between connection attempts (1s to
	// 65535s); later attempts back off up to about two minutes.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s') && duration(self) <= duration('65535s')",message="must be between 1s and 65535s"
	// +kubebuilder:validation:XValidation:rule="duration(self).getMilliseconds() % 1000 == 0",message="must be whole seconds"
	// +optional
	ConnectTime *metav1.Duration `json:"connectTime,omitempty"`

	// EBGPMultihop is the TTL of an eBGP session to a router that is not
	// directly connected (1 to 255).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=255
	// +optional
	EBGPMultihop *int32 `json:"ebgpMultihop,omitempty"`

	// PasswordSecretRef names the Secret key holding the TCP-MD5 password
	// (RFC 2385).
	// +optional
	PasswordSecretRef *SecretKeyRef `json:"passwordSecretRef,omitempty"`

	// NodeSelector limits the nodes that peer with this router. Empty means
	// every node.
	// +optional
	NodeSelector *metav1.LabelSelector `json:"nodeSelector,omitempty"`

	// GracefulRestart lets the router keep the nodes' routes while a speaker
	// restarts (RFC 4724).
	// +optional
	GracefulRestart *GracefulRestart `json:"gracefulRestart,omitempty"`
}

// SecretKeyRef points at one key of a Secret.
type SecretKeyRef struct {
	// Namespace of the Secret; empty means the speaker's own namespace. The
	// speaker may read Secrets only in its own namespace.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`
	// Key within the Secret's data.
	// +kubebuilder:default=password
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	// +optional
	Key string `json:"key,omitempty"`
}

// GracefulRestart configures BGP graceful restart for a peer.
type GracefulRestart struct {
	// Enabled turns graceful restart on.
	Enabled bool `json:"enabled"`
	// RestartTime is how long the router keeps routes while the speaker
	// restarts: 1s to 4095s (a 12-bit field on the wire).
	// +kubebuilder:default="120s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s') && duration(self) <= duration('4095s')",message="must be between 1s and 4095s"
	// +kubebuilder:validation:XValidation:rule="duration(self).getMilliseconds() % 1000 == 0",message="must be whole seconds"
	// +optional
	RestartTime *metav1.Duration `json:"restartTime,omitempty"`
}

// BGPPeerStatus is the observed state of a BGPPeer, summed over the nodes
// that peer with it.
type BGPPeerStatus struct {
	// SelectedNodes is how many nodes the nodeSelector matches.
	// +optional
	SelectedNodes int32 `json:"selectedNodes"`
	// EstablishedNodes is how many of them have the session Established.
	// +optional
	EstablishedNodes int32 `json:"establishedNodes"`
	// Conditions: Ready.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// BGPPeer is a router that the nodes open BGP sessions with.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=bgpp
// +kubebuilder:printcolumn:name="Address",type=string,JSONPath=`.spec.address`
// +kubebuilder:printcolumn:name="ASN",type=integer,JSONPath=`.spec.asn`
// +kubebuilder:printcolumn:name="Local ASN",type=integer,JSONPath=`.spec.localASN`
// +kubebuilder:printcolumn:name="Established",type=integer,JSONPath=`.status.establishedNodes`
// +kubebuilder:printcolumn:name="Nodes",type=integer,JSONPath=`.status.selectedNodes`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type BGPPeer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   BGPPeerSpec   `json:"spec"`
	Status BGPPeerStatus `json:"status,omitempty"`
}

// BGPPeerList is a list of BGPPeers.
//
// +kubebuilder:object:root=true
type BGPPeerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BGPPeer `json:"items"`
}
