//go:build linux

package main

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ironlb/ironlb/e2e/cluster"
	"github.com/ironlb/ironlb/e2e/lab"
)

// l2Result is what the layer-2 demo Service proves: one node answers ARP
// for its address on the LAN, and the LAN client reaches a backend
// through that node.
type l2Result struct {
	ip           netip.Addr
	owner, mac   string
	neigh, state string
	reply        string
}

// l2Demo creates demo/web-l2 from the lab's layer-2 pool and waits until
// it works from the LAN client.
func l2Demo(ctx context.Context, c *cluster.Cluster) (*l2Result, error) {
	svc, err := c.CreateService(ctx, cluster.ServiceSpec{
		Namespace: "demo", Name: "web-l2", Nodes: []int{1, 2, 3},
		Annotations: map[string]string{"ironlb.io/pool": "l2"},
	})
	if err != nil {
		return nil, err
	}
	r := &l2Result{}
	err = until(ctx, "the layer-2 demo Service", func(ctx context.Context) (bool, string) {
		return r.check(ctx, c, client.ObjectKeyFromObject(svc))
	})
	return r, err
}

func (r *l2Result) check(ctx context.Context, c *cluster.Cluster, key client.ObjectKey) (bool, string) {
	var svc corev1.Service
	if err := c.Env.Client.Get(ctx, key, &svc); err != nil {
		return false, err.Error()
	}
	if len(svc.Status.LoadBalancer.Ingress) == 0 {
		return false, "no address in the layer-2 Service's status yet"
	}
	ip, err := netip.ParseAddr(svc.Status.LoadBalancer.Ingress[0].IP)
	if err != nil {
		return false, err.Error()
	}
	r.ip = ip
	macs, err := c.Lab.ARPing(ctx, lab.Client, lab.LANInterface, ip, 1)
	if err != nil || len(macs) != 1 {
		return false, fmt.Sprintf("ARP for %s answered by %v (%v)", ip, macs, err)
	}
	r.mac, r.owner = macs[0].String(), ""
	for i := 1; i <= c.Lab.Nodes(); i++ {
		if m, err := c.Lab.MAC(lab.NodeName(i), lab.LANInterface); err == nil && m.String() == r.mac {
			r.owner = lab.NodeName(i)
		}
	}
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	line, err := c.Lab.Dial(dctx, lab.Client, netip.AddrPortFrom(ip, 80))
	if err != nil {
		return false, fmt.Sprintf("the LAN client cannot reach %s:80: %v", ip, err)
	}
	r.reply = strings.TrimSpace(line)
	mac, state, err := c.Lab.Neighbor(lab.Client, lab.LANInterface, ip)
	if err != nil || mac.String() != r.mac {
		return false, fmt.Sprintf("the client's neighbour entry for %s is %s %s (%v)", ip, mac, state, err)
	}
	r.neigh, r.state = mac.String(), state
	return true, ""
}

// summary is the layer-2 part of the lab's summary.
func (r *l2Result) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Service demo/web-l2 (layer 2, pool l2), backends on 3 nodes:\n")
	fmt.Fprintf(&b, "  %s is answered (ARP) by %s, MAC %s; the LAN client's neighbour entry: %s %s\n", r.ip, r.owner, r.mac, r.neigh, r.state)
	fmt.Fprintf(&b, "\nThe LAN client %s connected to %s:80 through %s and kube-proxy; the backend replied:\n  %s\n\n",
		lab.ClientAddr(4), r.ip, r.owner, r.reply)
	return b.String()
}
