package v1alpha1

// ObjectName is the name of a cluster-scoped ironlb object (an IPPool or a
// BGPPeer): a lowercase RFC 1123 subdomain.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
type ObjectName string

// InterfaceName is a network interface name or a shell-style glob over names
// ("eth0", "enp*", "bond[01]").
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:Pattern=`^[-A-Za-z0-9_.*?\[\]^]+$`
type InterfaceName string
