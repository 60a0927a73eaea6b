// Package kube is ironlb's small Kubernetes client layer: REST clients for
// the few API groups ironlb reads and writes, typed informers over them, a
// work queue that runs reconcile functions, and Lease-based leader
// election.
//
// It exists for memory. controller-runtime and client-go's clientset
// register every built-in API group in one scheme, which links the code and
// tables of all of them into the binary; the kernel then keeps most of those
// pages resident, about 30 MB of the controller's memory before it caches a
// single object. This package registers core/v1, discovery.k8s.io/v1,
// coordination/v1, events.k8s.io/v1 and ironlb.io/v1alpha1 only; TestDeps
// keeps it (and the binaries) off controller-runtime's client and manager
// and client-go's clientset.
package kube

import (
	"context"
	"fmt"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
)

// Resource names the REST endpoint of one kind.
type Resource struct {
	Group, Version, Name string
	// Namespaced is false for cluster-scoped kinds.
	Namespaced bool
}

// GroupVersion is the resource's group and version.
func (r Resource) GroupVersion() schema.GroupVersion {
	return schema.GroupVersion{Group: r.Group, Version: r.Version}
}

// The resources ironlb uses.
var (
	Services         = Resource{"", "v1", "services", true}
	Namespaces       = Resource{"", "v1", "namespaces", false}
	Nodes            = Resource{"", "v1", "nodes", false}
	Secrets          = Resource{"", "v1", "secrets", true}
	EndpointSlices   = Resource{"discovery.k8s.io", "v1", "endpointslices", true}
	Leases           = Resource{"coordination.k8s.io", "v1", "leases", true}
	Events           = Resource{"events.k8s.io", "v1", "events", true}
	IPPools          = Resource{ironlbv1.GroupVersion.Group, ironlbv1.GroupVersion.Version, "ippools", false}
	L2Announcements  = Resource{ironlbv1.GroupVersion.Group, ironlbv1.GroupVersion.Version, "l2announcements", false}
	BGPPeers         = Resource{ironlbv1.GroupVersion.Group, ironlbv1.GroupVersion.Version, "bgppeers", false}
	BGPAnnouncements = Resource{ironlbv1.GroupVersion.Group, ironlbv1.GroupVersion.Version, "bgpannouncements", false}
	SpeakerStatuses  = Resource{ironlbv1.GroupVersion.Group, ironlbv1.GroupVersion.Version, "speakerstatuses", false}
)

// NewScheme returns a scheme with the kinds ironlb reads and writes, and
// nothing else.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, discoveryv1.AddToScheme, coordinationv1.AddToScheme, eventsv1.AddToScheme, ironlbv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Client talks to the apiserver, one REST client per API group.
type Client struct {
	Scheme *runtime.Scheme
	groups map[schema.GroupVersion]*rest.RESTClient
}

// New returns a Client. Built-in kinds travel as protobuf, which costs the
// apiserver far less than JSON, above all on watches; ironlb's own kinds,
// which have no protobuf form, as JSON.
func New(cfg *rest.Config) (*Client, error) {
	sch, err := NewScheme()
	if err != nil {
		return nil, err
	}
	codecs := serializer.NewCodecFactory(sch).WithoutConversion()
	c := &Client{Scheme: sch, groups: map[schema.GroupVersion]*rest.RESTClient{}}
	for _, gv := range []schema.GroupVersion{
		corev1.SchemeGroupVersion, discoveryv1.SchemeGroupVersion, coordinationv1.SchemeGroupVersion, eventsv1.SchemeGroupVersion, ironlbv1.GroupVersion,
	} {
		rc := rest.CopyConfig(cfg)
		rc.GroupVersion = &gv
		rc.APIPath = "/apis"
		if gv.Group == "" {
			rc.APIPath = "/api"
		}
		rc.NegotiatedSerializer = codecs
		if gv == ironlbv1.GroupVersion {
			rc.ContentType, rc.AcceptContentTypes = runtime.ContentTypeJSON, runtime.ContentTypeJSON
		} else {
			rc.ContentType = runtime.ContentTypeProtobuf
			rc.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
		}
		if rc.UserAgent == "" {
			rc.UserAgent = rest.DefaultKubernetesUserAgent()
		}
		rest, err := rest.RESTClientFor(rc)
		if err != nil {
			return nil, fmt.Errorf("REST client for %s: %w", gv, err)
		}
		c.groups[gv] = rest
	}
	return c, nil
}

// REST returns the REST client of r's group.
func (c *Client) REST(r Resource) *rest.RESTClient {
	rc, ok := c.groups[r.GroupVersion()]
	if !ok {
		panic(fmt.Sprintf("kube: no client for %s", r.GroupVersion()))
	}
	return rc
}

func (c *Client) request(r Resource, verb, ns string) *rest.Request {
	req := c.REST(r).Verb(verb).Resource(r.Name)
	if r.Namespaced {
		req = req.Namespace(ns)
	}
	return req
}

// Get reads one object into into.
func (c *Client) Get(ctx context.Context, r Resource, key types.NamespacedName, into runtime.Object) error {
	return c.request(r, "GET", key.Namespace).Name(key.Name).Do(ctx).Into(into)
}

// Create creates obj in namespace ns; into (which may be obj, or nil)
// receives the stored object.
func (c *Client) Create(ctx context.Context, r Resource, ns string, obj, into runtime.Object) error {
	res := c.request(r, "POST", ns).Body(obj).Do(ctx)
	if into == nil {
		return res.Error()
	}
	return res.Into(into)
}

// Update replaces an object, which must carry the resourceVersion it was
// read at; into receives the stored object.
func (c *Client) Update(ctx context.Context, r Resource, key types.NamespacedName, obj, into runtime.Object) error {
	return c.request(r, "PUT", key.Namespace).Name(key.Name).Body(obj).Do(ctx).Into(into)
}

// Patch applies a patch to an object, or with subresource "status" to its
// status; fieldManager may be empty.
func (c *Client) Patch(ctx context.Context, r Resource, key types.NamespacedName, subresource string, pt types.PatchType, body []byte, fieldManager string) error {
	req := c.request(r, "PATCH", key.Namespace).Name(key.Name).SetHeader("Content-Type", string(pt)).Body(body)
	if subresource != "" {
		req = req.SubResource(subresource)
	}
	if fieldManager != "" {
		req = req.Param("fieldManager", fieldManager)
	}
	return req.Do(ctx).Error()
}

// CreateEvent creates an events.k8s.io Event (for internal/eventsink).
func (c *Client) CreateEvent(ctx context.Context, e *eventsv1.Event) error {
	return c.Create(ctx, Events, e.Namespace, e, nil)
}

// ListWatch lists and watches r, in namespace ns ("" for all).
func (c *Client) ListWatch(r Resource, ns string) cache.ListerWatcher {
	return cache.NewListWatchFromClient(c.REST(r), r.Name, ns, fields.Everything())
}
