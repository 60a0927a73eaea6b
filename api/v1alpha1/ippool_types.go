package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AddressRange is one block of addresses of an IPPool: a single IP
// ("198.51.100.7"), a CIDR ("203.0.113.0/24", "2001:db8:200::/120") or an
// inclusive range of one family ("198.51.100.200-198.51.100.250").
//
// CEL's IP type has no ordering, so the last rule finds the first bit where
// the two ends of a range differ by comparing their masked prefixes, and
// requires the first end to have a 0 there. The ends are cut out with
// substring rather than split, and prefixes compared with == rather than !=,
// so that CEL can bound the rule's cost.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=100
// +kubebuilder:validation:XValidation:rule="isIP(self) || isCIDR(self) || (self.indexOf('-') > 0 && self.indexOf('-') == self.lastIndexOf('-') && isIP(self.substring(0, self.indexOf('-'))) && isIP(self.substring(self.indexOf('-') + 1)))",message="must be an IP address (198.51.100.7), a CIDR (203.0.113.0/24) or a range first-last of one family (198.51.100.200-198.51.100.250), without spaces"
// +kubebuilder:validation:XValidation:rule="!isCIDR(self) || cidr(self) == cidr(self).masked()",message="a CIDR must not have host bits set: write its network address, for example 203.0.113.0/24 rather than 203.0.113.7/24"
// +kubebuilder:validation:XValidation:rule="!(self.indexOf('-') > 0 && self.indexOf('-') == self.lastIndexOf('-') && isIP(self.substring(0, self.indexOf('-'))) && isIP(self.substring(self.indexOf('-') + 1))) || ip(self.substring(0, self.indexOf('-'))).family() == ip(self.substring(self.indexOf('-') + 1)).family()",message="both ends of a range must be of the same family (IPv4 or IPv6)"
// +kubebuilder:validation:XValidation:rule="!(self.indexOf('-') > 0 && self.indexOf('-') == self.lastIndexOf('-') && isIP(self.substring(0, self.indexOf('-'))) && isIP(self.substring(self.indexOf('-') + 1)) && ip(self.substring(0, self.indexOf('-'))).family() == ip(self.substring(self.indexOf('-') + 1)).family()) || ip(self.substring(0, self.indexOf('-'))) == ip(self.substring(self.indexOf('-') + 1)) || ['/0', '/1', '/2', '/3', '/4', '/5', '/6', '/7', '/8', '/9', '/10', '/11', '/12', '/13', '/14', '/15', '/16', '/17', '/18', '/19', '/20', '/21', '/22', '/23', '/24', '/25', '/26', '/27', '/28', '/29', '/30', '/31', '/32', '/33', '/34', '/35', '/36', '/37', '/38', '/39', '/40', '/41', '/42', '/43', '/44', '/45', '/46', '/47', '/48', '/49', '/50', '/51', '/52', '/53', '/54', '/55', '/56', '/57', '/58', '/59', '/60', '/61', '/62', '/63', '/64', '/65', '/66', '/67', '/68', '/69', '/70', '/71', '/72', '/73', '/74', '/75', '/76', '/77', '/78', '/79', '/80', '/81', '/82', '/83', '/84', '/85', '/86', '/87', '/88', '/89', '/90', '/91', '/92', '/93', '/94', '/95', '/96', '/97', '/98', '/99', '/100', '/101', '/102', '/103', '/104', '/105', '/106', '/107', '/108', '/109', '/110', '/111', '/112', '/113', '/114', '/115', '/116', '/117', '/118', '/119', '/120', '/121', '/122', '/123', '/124', '/125', '/126', '/127', '/128'].exists(i, p, i < (ip(self.substring(0, self.indexOf('-'))).family() == 4 ? 32 : 128) && cidr(self.substring(0, self.indexOf('-')) + p).masked() == cidr(self.substring(self.indexOf('-') + 1) + p).masked() && !(cidr(self.substring(0, self.indexOf('-')) + ['/0', '/1', '/2', '/3', '/4', '/5', '/6', '/7', '/8', '/9', '/10', '/11', '/12', '/13', '/14', '/15', '/16', '/17', '/18', '/19', '/20', '/21', '/22', '/23', '/24', '/25', '/26', '/27', '/28', '/29', '/30', '/31', '/32', '/33', '/34', '/35', '/36', '/37', '/38', '/39', '/40', '/41', '/42', '/43', '/44', '/45', '/46', '/47', '/48', '/49', '/50', '/51', '/52', '/53', '/54', '/55', '/56', '/57', '/58', '/59', '/60', '/61', '/62', '/63', '/64', '/65', '/66', '/67', '/68', '/69', '/70', '/71', '/72', '/73', '/74', '/75', '/76', '/77', '/78', '/79', '/80', '/81', '/82', '/83', '/84', '/85', '/86', '/87', '/88', '/89', '/90', '/91', '/92', '/93', '/94', '/95', '/96', '/97', '/98', '/99', '/100', '/101', '/102', '/103', '/104', '/105', '/106', '/107', '/108', '/109', '/110', '/111', '/112', '/113', '/114', '/115', '/116', '/117', '/118', '/119', '/120', '/121', '/122', '/123', '/124', '/125', '/126', '/127', '/128'][i + 1]).masked() == cidr(self.substring(self.indexOf('-') + 1) + ['/0', '/1', '/2', '/3', '/4', '/5', '/6', '/7', '/8', '/9', '/10', '/11', '/12', '/13', '/14', '/15', '/16', '/17', '/18', '/19', '/20', '/21', '/22', '/23', '/24', '/25', '/26', '/27', '/28', '/29', '/30', '/31', '/32', '/33', '/34', '/35', '/36', '/37', '/38', '/39', '/40', '/41', '/42', '/43', '/44', '/45', '/46', '/47', '/48', '/49', '/50', '/51', '/52', '/53', '/54', '/55', '/56', '/57', '/58', '/59', '/60', '/61', '/62', '/63', '/64', '/65', '/66', '/67', '/68', '/69', '/70', '/71', '/72', '/73', '/74', '/75', '/76', '/77', '/78', '/79', '/80', '/81', '/82', '/83', '/84', '/85', '/86', '/87', '/88', '/89', '/90', '/91', '/92', '/93', '/94', '/95', '/96', '/97', '/98', '/99', '/100', '/101', '/102', '/103', '/104', '/105', '/106', '/107', '/108', '/109', '/110', '/111', '/112', '/113', '/114', '/115', '/116', '/117', '/118', '/119', '/120', '/121', '/122', '/123', '/124', '/125', '/126', '/127', '/128'][i + 1]).masked()) && cidr(self.substring(0, self.indexOf('-')) + ['/0', '/1', '/2', '/3', '/4', '/5', '/6', '/7', '/8', '/9', '/10', '/11', '/12', '/13', '/14', '/15', '/16', '/17', '/18', '/19', '/20', '/21', '/22', '/23', '/24', '/25', '/26', '/27', '/28', '/29', '/30', '/31', '/32', '/33', '/34', '/35', '/36', '/37', '/38', '/39', '/40', '/41', '/42', '/43', '/44', '/45', '/46', '/47', '/48', '/49', '/50', '/51', '/52', '/53', '/54', '/55', '/56', '/57', '/58', '/59', '/60', '/61', '/62', '/63', '/64', '/65', '/66', '/67', '/68', '/69', '/70', '/71', '/72', '/73', '/74', '/75', '/76', '/77', '/78', '/79', '/80', '/81', '/82', '/83', '/84', '/85', '/86', '/87', '/88', '/89', '/90', '/91', '/92', '/93', '/94', '/95', '/96', '/97', '/98', '/99', '/100', '/101', '/102', '/103', '/104', '/105', '/106', '/107', '/108', '/109', '/110', '/111', '/112', '/113', '/114', '/115', '/116', '/117', '/118', '/119', '/120', '/121', '/122', '/123', '/124', '/125', '/126', '/127', '/128'][i + 1]).masked().ip() == cidr(self.substring(0, self.indexOf('-')) + p).masked().ip())",message="a range must run from its lower to its higher address (first-last)"
type AddressRange string

// IPPoolSpec is the desired state of an IPPool.
type IPPoolSpec struct {
	// Addresses the pool hands out: single IPs, CIDRs and first-last ranges;
	// IPv4 and IPv6 may be mixed. Pools must not overlap: a pool that
	// overlaps one created earlier gets the Conflict condition and is not used.
	// At most 50 entries, which keeps the CEL rules within the apiserver's
	// cost budget; use several pools for more.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	// +listType=atomic
	Addresses []AddressRange `json:"addresses"`

	// AutoAssign lets Services without an explicit request get addresses from
	// this pool. When false, the pool serves only Services that name it
	// (annotation ironlb.io/pool) or ask for one of its addresses.
	// +kubebuilder:default=true
	// +optional
	AutoAssign *bool `json:"autoAssign,omitempty"`

	// AvoidBuggyIPs skips IPv4 addresses ending in .0 and .255, which some
	// old client stacks treat as network or broadcast addresses.
	// +optional
	AvoidBuggyIPs bool `json:"avoidBuggyIPs,omitempty"`

	// Allocation limits which Services may use the pool and in which order
	// pools are tried.
	// +optional
	Allocation *IPPoolAllocation `json:"allocation,omitempty"`
}

// IPPoolAllocation limits which Services may use a pool. Namespaces and
// NamespaceSelector together form the set of allowed namespaces (a namespace
// matching either is allowed); when either is set the pool is a hard tenant
// boundary: no Service outside those namespaces gets its addresses, not even
// by asking for one explicitly.
type IPPoolAllocation struct {
	// Namespaces whose Services may use the pool.
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +listType=set
	// +optional
	Namespaces []string `json:"namespaces,omitempty"`

	// NamespaceSelector selects, by label, namespaces whose Services may use
	// the pool.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`

	// ServiceSelector limits the pool to Services with matching labels.
	// +optional
	ServiceSelector *metav1.LabelSelector `json:"serviceSelector,omitempty"`

	// Priority orders the pools a Service may use: lower is tried first; pools
	// of equal priority are tried by name.
	// +optional
	Priority int32 `json:"priority,omitempty"`
}

// FamilyUsage counts the addresses of one family in a pool. Total and
// Available are decimal strings because an IPv6 pool can hold more addresses
// than a 64-bit integer counts (a /64 holds 18446744073709551616).
type FamilyUsage struct {
	// Total addresses of this family the pool can hand out.
	// +kubebuilder:validation:Pattern=`^[0-9]+$`
	Total string `json:"total"`
	// Assigned addresses, a shared address counted once.
	// +kubebuilder:validation:Minimum=0
	Assigned int64 `json:"assigned"`
	// Available is Total minus Assigned.
	// +kubebuilder:validation:Pattern=`^[0-9]+$`
	Available string `json:"available"`
	// Usage is "assigned/total", for display.
	Usage string `json:"usage"`
}

// IPPoolStatus is the observed state of an IPPool.
type IPPoolStatus struct {
	// IPv4 usage; absent when the pool has no IPv4 addresses.
	// +optional
	IPv4 *FamilyUsage `json:"ipv4,omitempty"`
	// IPv6 usage; absent when the pool has no IPv6 addresses.
	// +optional
	IPv6 *FamilyUsage `json:"ipv6,omitempty"`
	// Conditions: Ready (valid and used for allocation) and Conflict
	// (overlaps an older pool).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// IPPool is a set of addresses that LoadBalancer Services get their external
// IPs from.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=ipp;ippool
// +kubebuilder:printcolumn:name="Addresses",type=string,JSONPath=`.spec.addresses`
// +kubebuilder:printcolumn:name="Auto-Assign",type=boolean,JSONPath=`.spec.autoAssign`
// +kubebuilder:printcolumn:name="IPv4",type=string,JSONPath=`.status.ipv4.usage`,description="IPv4 addresses assigned/total"
// +kubebuilder:printcolumn:name="IPv6",type=string,JSONPath=`.status.ipv6.usage`,description="IPv6 addresses assigned/total"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type IPPool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   IPPoolSpec   `json:"spec"`
	Status IPPoolStatus `json:"status,omitempty"`
}

// IPPoolList is a list of IPPools.
//
// +kubebuilder:object:root=true
type IPPoolList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []IPPool `json:"items"`
}
