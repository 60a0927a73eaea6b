//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ironlb/ironlb/e2e/cluster"
	"github.com/ironlb/ironlb/e2e/lab"
	"github.com/ironlb/ironlb/internal/install"
)

// supervise brings the lab up with a demo Service, writes the summary and
// the ready file, and holds everything until ctx ends.
func supervise(ctx context.Context, dir, bin string) (err error) {
	log := funcr.New(func(prefix, args string) {
		fmt.Println(time.Now().Format(time.TimeOnly), prefix, args)
	}, funcr.Options{})
	start := time.Now()
	c, err := cluster.Up(ctx, cluster.Options{Prefix: prefix, Dir: dir, Bin: bin, Log: log})
	if err != nil {
		return err
	}
	defer func() {
		log.Info("Tearing the lab down")
		err = errors.Join(err, c.Down())
	}()
	if err := c.ApplyLabConfig(ctx); err != nil {
		return err
	}
	svc, err := c.CreateService(ctx, cluster.ServiceSpec{
		Namespace: "demo", Name: "web", Nodes: []int{1, 2, 3},
		Policy:   corev1.IPFamilyPolicyPreferDualStack,
		Families: []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol},
	})
	if err != nil {
		return err
	}
	d, err := demo(ctx, c, client.ObjectKeyFromObject(svc))
	if err != nil {
		return err
	}
	if d.l2, err = l2Demo(ctx, c); err != nil {
		return err
	}
	d.took = time.Since(start)
	if err := os.WriteFile(filepath.Join(dir, summaryFile), d.summary(c, dir), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, readyFile), nil, 0o644); err != nil {
		return err
	}
	log.Info("The lab is ready", "took", d.took.Round(time.Millisecond))
	<-ctx.Done()
	return nil
}

// demoResult is what the demo Service proves.
type demoResult struct {
	ip          netip.Addr
	frr, bird   []netip.Addr
	reply       string
	took        time.Duration
	ipv6        netip.Addr
	frr6, bird6 []netip.Addr
	l2          *l2Result
}

// demo waits until the demo Service has its addresses, both routers have
// the routes from every node, and the outside client gets a reply.
func demo(ctx context.Context, c *cluster.Cluster, key client.ObjectKey) (*demoResult, error) {
	d := &demoResult{}
	err := until(ctx, "the demo Service", func(ctx context.Context) (bool, string) {
		return d.check(ctx, c, key, c.Lab.Nodes())
	})
	return d, err
}

// until calls check every 200 ms until it reports success, for at most two
// minutes; the error names what did not work and check's last detail.
func until(ctx context.Context, what string, check func(context.Context) (bool, string)) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		ok, detail := check(ctx)
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not work: %s", what, detail)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (d *demoResult) check(ctx context.Context, c *cluster.Cluster, key client.ObjectKey, nodes int) (bool, string) {
	var svc corev1.Service
	if err := c.Env.Client.Get(ctx, key, &svc); err != nil {
		return false, err.Error()
	}
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		if a, err := netip.ParseAddr(ing.IP); err == nil && a.Is4() {
			d.ip = a
		} else if err == nil {
			d.ipv6 = a
		}
	}
	if !d.ip.IsValid() {
		return false, "no IPv4 address in the Service status yet"
	}
	var err error
	if d.frr, err = nextHops(ctx, c.Lab.FRRRoutes, d.ip); err != nil || len(d.frr) < nodes {
		return false, fmt.Sprintf("FRR has %s via %v (%v)", d.ip, d.frr, err)
	}
	if d.bird, err = nextHops(ctx, c.Lab.BIRDRoutes, d.ip); err != nil || len(d.bird) < nodes {
		return false, fmt.Sprintf("BIRD has %s via %v (%v)", d.ip, d.bird, err)
	}
	if d.ipv6.IsValid() {
		d.frr6, _ = nextHops(ctx, c.Lab.FRRRoutes, d.ipv6)
		d.bird6, _ = nextHops(ctx, c.Lab.BIRDRoutes, d.ipv6)
	}
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	line, err := c.Lab.Dial(dctx, "ext", netip.AddrPortFrom(d.ip, 80))
	if err != nil {
		return false, fmt.Sprintf("ext cannot reach %s:80: %v", d.ip, err)
	}
	d.reply = strings.TrimSpace(line)
	return true, ""
}

func nextHops(ctx context.Context, get func(context.Context, int) (map[netip.Prefix][]netip.Addr, error), ip netip.Addr) ([]netip.Addr, error) {
	fam := 4
	if ip.Is6() {
		fam = 6
	}
	routes, err := get(ctx, fam)
	if err != nil {
		return nil, err
	}
	nh := slices.Clone(routes[netip.PrefixFrom(ip, ip.BitLen())])
	slices.SortFunc(nh, netip.Addr.Compare)
	return slices.Compact(nh), nil
}

// summary is what `lab up` prints.
func (d *demoResult) summary(c *cluster.Cluster, dir string) []byte {
	var b bytes.Buffer
	ns := c.Lab.NS
	fmt.Fprintf(&b, "ironlb lab is up (took %s).\n\n", d.took.Round(100*time.Millisecond))
	fmt.Fprintf(&b, "Service demo/web (PreferDualStack), backends on %d nodes:\n", c.Lab.Nodes())
	w := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	fmt.Fprintf(w, "  address\tFRR (%s, eBGP) next hops\tBIRD (%s, iBGP) next hops\n", lab.RouterAddr(4), lab.Router2Addr(4))
	fmt.Fprintf(w, "  %s\t%v\t%v\n", d.ip, d.frr, d.bird)
	if d.ipv6.IsValid() {
		fmt.Fprintf(w, "  %s\t%v\t%v\n", d.ipv6, d.frr6, d.bird6)
	}
	_ = w.Flush()
	fmt.Fprintf(&b, "\nThe outside client %s connected to %s:80 through the router and kube-proxy; the backend replied:\n  %s\n\n",
		lab.ExtAddr(4), d.ip, d.reply)
	b.WriteString(d.l2.summary())
	fmt.Fprintf(&b, "Look around:\n")
	kubectl := "kubectl"
	if k, err := install.Kubectl(); err == nil {
		kubectl = k
	}
	fmt.Fprintf(&b, "  export KUBECONFIG=%s   # admin; ironlb itself runs as its ServiceAccounts (%s/*.kubeconfig)\n", c.KubeConfig(), dir)
	fmt.Fprintf(&b, "  %s get svc -A; %s get ippools,bgppeers,bgpannouncements,speakerstatuses\n", kubectl, kubectl)
	fmt.Fprintf(&b, "  %s auth can-i --list --as=system:serviceaccount:%s:%s\n", kubectl, cluster.Namespace, cluster.SpeakerAccount)
	fmt.Fprintf(&b, "  ip netns exec %s vtysh --vty_socket %s -c 'show bgp ipv4 unicast'\n", ns("router"), filepath.Join(c.Lab.RunDir(), "frr"))
	fmt.Fprintf(&b, "  ip netns exec %s birdc -s %s show route\n", ns("router2"), filepath.Join(c.Lab.RunDir(), "bird.ctl"))
	fmt.Fprintf(&b, "  ip netns exec %s socat - TCP:%s:80\n", ns("ext"), d.ip)
	fmt.Fprintf(&b, "  ip netns exec %s ip route\n", ns("router"))
	fmt.Fprintf(&b, "  ip netns exec %s arping -c 3 -I eth0 %s; ip netns exec %s ip neigh\n", ns("client"), d.l2.ip, ns("client"))
	fmt.Fprintf(&b, "  ip netns exec %s socat - TCP:%s:80\n", ns("client"), d.l2.ip)
	fmt.Fprintf(&b, "  logs: %s/*.log\n\n", dir)
	fmt.Fprintf(&b, "Remove it all with: make lab-down\n")
	return b.Bytes()
}
