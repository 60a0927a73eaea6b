package v1alpha1

// LoadBalancerClass is the spec.loadBalancerClass that selects ironlb. Services
// without a class are served too, unless the controller is told otherwise.
const LoadBalancerClass = "ironlb.io/ironlb"

// Service annotations read by the controller.
const (
	// AnnotationIPs requests explicit addresses: a comma-separated list with
	// at most one address per family.
	AnnotationIPs = "ironlb.io/ips"
	// AnnotationPool names the IPPool to allocate from. It works even when
	// that pool has autoAssign: false.
	AnnotationPool = "ironlb.io/pool"
	// AnnotationSharingKey lets Services with the same key share an address
	// when their ports do not overlap and their traffic policies agree.
	AnnotationSharingKey = "ironlb.io/sharing-key"
	// AnnotationIPMode sets status.loadBalancer.ingress[].ipMode: VIP (the
	// default) or Proxy.
	AnnotationIPMode = "ironlb.io/ip-mode"
)

// Service condition types written by ironlb.
const (
	// ServiceConditionAllocated says whether the Service has its addresses.
	ServiceConditionAllocated = "ironlb.io/Allocated"
	// ServiceConditionAnnounced says which nodes announce the addresses.
	ServiceConditionAnnounced = "ironlb.io/Announced"
)

// Condition types of ironlb objects.
const (
	// ConditionReady is True when the object is valid and in use.
	ConditionReady = "Ready"
	// ConditionConflict is True on an IPPool whose addresses overlap a pool
	// created earlier; the pool is not used until the overlap is removed.
	ConditionConflict = "Conflict"
)

// Condition reasons.
const (
	ReasonValid            = "Valid"
	ReasonInvalid          = "Invalid"
	ReasonOverlap          = "Overlap"
	ReasonNoOverlap        = "NoOverlap"
	ReasonMissingReference = "MissingReference"
	ReasonAllocated        = "Allocated"
	ReasonPoolExhausted    = "PoolExhausted"
	ReasonNoEligiblePool   = "NoEligiblePool"
	ReasonIPInUse          = "IPInUse"
	ReasonNotAllowed       = "NotAllowed"
	ReasonInvalidRequest   = "InvalidRequest"
	ReasonPoolRemoved      = "PoolRemoved"
)

// LabelExcludeFromExternalLB marks nodes that must never announce. It is the
// upstream label that cloud providers honour too.
const LabelExcludeFromExternalLB = "node.kubernetes.io/exclude-from-external-load-balancers"
