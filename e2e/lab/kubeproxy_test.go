//go:build linux

package lab

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/ironlb/ironlb/internal/testenv"
)

// TestKubeProxy runs the real kube-apiserver on host loopback and
// kube-proxy in two nodes, reaching the apiserver through the lab's
// forwarders, and sends the client's traffic to a pod backend through a
// NodePort and through a LoadBalancer IP that the router routes to a node.
func TestKubeProxy(t *testing.T) {
	requireLab(t)
	assets, err := testenv.AssetsDir()
	if err != nil {
		t.Skipf("no control plane: %v", err)
	}
	proxy := filepath.Join(assets, "kube-proxy")
	if _, err := os.Stat(proxy); err != nil {
		t.Skipf("no kube-proxy: run `make controlplane`: %v", err)
	}
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stop control plane: %v", err)
		}
	})
	host, err := url.Parse(env.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	api, err := netip.ParseAddrPort(host.Host)
	if err != nil {
		t.Fatal(err)
	}
	l := up(t, Options{Nodes: 2, APIServer: api})
	ctx := t.Context()
	c := env.Client

	for i := 1; i <= l.Nodes(); i++ {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: NodeName(i)}}
		if err := c.Create(ctx, node); err != nil {
			t.Fatal(err)
		}
		node.Status.Addresses = []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: NodeAddr(i, 4).String()},
			{Type: corev1.NodeInternalIP, Address: NodeAddr(i, 6).String()},
		}
		if err := c.Status().Update(ctx, node); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Delete(context.Background(), node) })
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "lab-web", Namespace: "default"},
		Spec: corev1.ServiceSpec{
			Type:  corev1.ServiceTypeLoadBalancer,
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(PodPort)}},
		},
	}
	if err := c.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), svc) })
	ready := true
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: "lab-web-1", Namespace: "default",
			Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{PodAddr(1, 4).String()},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			NodeName:   ptr(NodeName(1)),
		}},
		Ports: []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(PodPort))}},
	}
	if err := c.Create(ctx, slice); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), slice) })
	lbIP := netip.MustParseAddr("203.0.113.50")
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: lbIP.String()}}
	if err := c.Status().Update(ctx, svc); err != nil {
		t.Fatal(err)
	}

	kubeconfig := filepath.Join(l.Options().Dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= l.Nodes(); i++ {
		if _, err := l.StartKubeProxy(NodeName(i), kubeconfig, proxy); err != nil {
			t.Fatal(err)
		}
	}
	// What the speaker will do with BGP, by hand: route the LB IP to node2.
	if _, err := l.Exec(ctx, Router, "ip", "route", "add", lbIP.String()+"/32", "via", NodeAddr(2, 4).String()); err != nil {
		t.Fatal(err)
	}

	nodePort := int(svc.Spec.Ports[0].NodePort)
	for _, dst := range []netip.AddrPort{
		netip.AddrPortFrom(NodeAddr(1, 4), uint16(nodePort)),
		netip.AddrPortFrom(NodeAddr(2, 4), uint16(nodePort)),
		netip.AddrPortFrom(lbIP, 80),
	} {
		eventually(t, fmt.Sprintf("client reaches pod1 through %s", dst), func(ctx context.Context) error {
			got, err := l.Dial(ctx, Client, dst)
			if err != nil {
				return err
			}
			if !strings.HasPrefix(got, "pod=pod1 node=node1 client=") {
				return fmt.Errorf("reply %q", got)
			}
			return nil
		})
	}
}

func ptr[T any](v T) *T { return &v }
