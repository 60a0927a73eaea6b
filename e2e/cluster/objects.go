//go:build linux

package cluster

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/ironlb/ironlb/e2e/lab"
	"github.com/ironlb/ironlb/internal/testenv"
)

// createNode creates node i with its LAN addresses as InternalIPs: there is
// no kubelet to do it.
func (c *Cluster) createNode(ctx context.Context, i int) error {
	name := lab.NodeName(i)
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"kubernetes.io/hostname": name,
		"kubernetes.io/os":       "linux",
	}}}
	if err := c.Env.Client.Create(ctx, n); err != nil {
		return fmt.Errorf("create node %s: %w", name, err)
	}
	n.Status.Addresses = []corev1.NodeAddress{
		{Type: corev1.NodeInternalIP, Address: lab.NodeAddr(i, 4).String()},
		{Type: corev1.NodeInternalIP, Address: lab.NodeAddr(i, 6).String()},
		{Type: corev1.NodeHostName, Address: name},
	}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "Lab", LastHeartbeatTime: metav1.Now()}}
	if err := c.Env.Client.Status().Update(ctx, n); err != nil {
		return fmt.Errorf("set addresses of node %s: %w", name, err)
	}
	return nil
}

// ApplyFile creates (or replaces the spec of) every object in a YAML file
// of one or more documents.
func (c *Cluster) ApplyFile(ctx context.Context, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if err := c.apply(ctx, &u); err != nil {
			return fmt.Errorf("%s: %s %s: %w", path, u.GetKind(), u.GetName(), err)
		}
	}
}

func (c *Cluster) apply(ctx context.Context, u *unstructured.Unstructured) error {
	err := c.Env.Client.Create(ctx, u)
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	var cur unstructured.Unstructured
	cur.SetGroupVersionKind(u.GroupVersionKind())
	if err := c.Env.Client.Get(ctx, client.ObjectKeyFromObject(u), &cur); err != nil {
		return err
	}
	u.SetResourceVersion(cur.GetResourceVersion())
	return c.Env.Client.Update(ctx, u)
}

// ApplyLabConfig applies config/samples/lab/*.yaml: the pools, peers and
// announcements that match the lab's routers.
func (c *Cluster) ApplyLabConfig(ctx context.Context) error {
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "config", "samples", "lab", "*.yaml"))
	if err != nil {
		return err
	}
	slices.Sort(files)
	for _, f := range files {
		if err := c.ApplyFile(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

// Backend is the lab's TCP backend port in every pod namespace.
const Backend = 8080

// ServiceSpec describes a test Service: its backends are the pods of the
// given nodes (1-based), listed in an EndpointSlice as a real endpoints
// controller would.
type ServiceSpec struct {
	Namespace, Name string
	Nodes           []int
	Local           bool
	// Families is the ipFamilyPolicy: SingleStack IPv4 when empty.
	Policy      corev1.IPFamilyPolicy
	Families    []corev1.IPFamily
	Annotations map[string]string
	// NoNodePorts sets allocateLoadBalancerNodePorts: false, for more
	// Services than the NodePort range holds (2,768).
	NoNodePorts bool
	// Port is the Service port (to the backends' 8080); 0 means 80.
	Port int32
}

// CreateService creates the Service (port 80 to the backends' 8080) and its
// EndpointSlice.
func (c *Cluster) CreateService(ctx context.Context, s ServiceSpec) (*corev1.Service, error) {
	if err := c.Env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.Namespace}}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	svc := s.Object()
	if err := c.Env.Client.Create(ctx, svc); err != nil {
		return nil, fmt.Errorf("create service %s/%s: %w", s.Namespace, s.Name, err)
	}
	return svc, c.SetEndpoints(ctx, s.Namespace, s.Name, s.Nodes...)
}

// Object is the Service the spec describes.
func (s ServiceSpec) Object() *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: s.Name, Annotations: s.Annotations},
		Spec: corev1.ServiceSpec{
			Type:           corev1.ServiceTypeLoadBalancer,
			Selector:       map[string]string{"app": s.Name},
			Ports:          []corev1.ServicePort{{Name: "http", Port: cmp.Or(s.Port, 80), TargetPort: intstr.FromInt32(Backend), Protocol: corev1.ProtocolTCP}},
			IPFamilyPolicy: ptr.To(corev1.IPFamilyPolicySingleStack),
			IPFamilies:     []corev1.IPFamily{corev1.IPv4Protocol},
		},
	}
	if s.Policy != "" {
		svc.Spec.IPFamilyPolicy, svc.Spec.IPFamilies = ptr.To(s.Policy), s.Families
	}
	if s.NoNodePorts {
		svc.Spec.AllocateLoadBalancerNodePorts = ptr.To(false)
	}
	if s.Local {
		svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	}
	return svc
}

// SetEndpoints makes the Service's backends the pods of the given nodes
// (none: no endpoints), one EndpointSlice per family of the Service.
func (c *Cluster) SetEndpoints(ctx context.Context, namespace, name string, nodes ...int) error {
	var svc corev1.Service
	if err := c.Env.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &svc); err != nil {
		return fmt.Errorf("endpoints of %s/%s: %w", namespace, name, err)
	}
	var fams []int
	for _, f := range svc.Spec.IPFamilies {
		fams = append(fams, map[corev1.IPFamily]int{corev1.IPv4Protocol: 4, corev1.IPv6Protocol: 6}[f])
	}
	for _, fam := range fams {
		want := EndpointSlice(namespace, name, fam, nodes...)
		es := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: want.Name}}
		_, err := controllerutil.CreateOrUpdate(ctx, c.Env.Client, es, func() error {
			es.Labels = want.Labels
			es.AddressType, es.Ports, es.Endpoints = want.AddressType, want.Ports, want.Endpoints
			return nil
		})
		if err != nil {
			return fmt.Errorf("endpoints of %s/%s: %w", namespace, name, err)
		}
	}
	return nil
}

// EndpointSlice lists the pods of the given nodes as a Service's backends
// of one family (4 or 6), ready, as an endpoints controller would.
func EndpointSlice(namespace, service string, fam int, nodes ...int) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: namespace, Name: fmt.Sprintf("%s-v%d", service, fam),
			Labels: map[string]string{
				discoveryv1.LabelServiceName: service,
				discoveryv1.LabelManagedBy:   "ironlb-e2e",
			},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](Backend), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	if fam == 6 {
		es.AddressType = discoveryv1.AddressTypeIPv6
	}
	for _, n := range nodes {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{lab.PodAddr(n, fam).String()},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)},
			NodeName:   ptr.To(lab.NodeName(n)),
		})
	}
	return es
}
