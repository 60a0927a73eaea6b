package app

import (
	"context"

	"net/netip"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/config"
	"github.com/ironlb/ironlb/internal/kube"
	"github.com/ironlb/ironlb/speaker/internal/announce"
)

// inputs is everything one pass reads: the planner's input and the parts
// of the configuration the BGP adapter needs besides the plan.
type inputs struct {
	plan     announce.Input
	cfg      *config.Config
	peers    map[string]*config.Peer // the peers that select this node
	problems config.Problems
	// nodes are every Node (slimmed), for layer-2 elections.
	nodes []corev1.Node
	// services are the served Services by key, for Events.
	services map[string]*corev1.Service
	// nodeFound is false until the Node object exists.
	nodeFound bool
	nodeUID   types.UID
}

// gather reads the whole state a node's plan depends on from the cache.
func (r *runner) gather(ctx context.Context) (*inputs, error) {
	// The cache's own objects, read only; the parser takes values, so
	// the configuration kinds (few) are copied shallowly.
	c := r.caches
	in := config.Input{
		SecretNamespace:  r.opts.Namespace,
		Pools:            kube.Values(c.pools.List()),
		L2Announcements:  kube.Values(c.l2s.List()),
		Peers:            kube.Values(c.peers.List()),
		BGPAnnouncements: kube.Values(c.anns.List()),
		Secrets:          kube.Values(c.secrets.InNamespace(r.opts.Namespace)),
	}
	svcs, slices, nodes := c.services.List(), c.slices.List(), kube.Values(c.nodes.List())
	cfg, problems := config.Parse(in)

	out := &inputs{cfg: cfg, peers: map[string]*config.Peer{}, problems: problems, nodes: nodes}
	// Without the Node there is no address and no labels: plan nothing.
	var node corev1.Node
	for i := range nodes {
		if nodes[i].Name == r.opts.NodeName {
			node = nodes[i]
			out.nodeFound, out.nodeUID = true, node.UID
		}
	}
	out.plan.Node = announce.Node{
		Name:     r.opts.NodeName,
		Addrs:    internalIPs(&node),
		Excluded: hasLabel(&node, v1alpha1.LabelExcludeFromExternalLB),
	}
	for _, p := range cfg.Pools {
		ap := announce.Pool{Name: p.Name}
		for _, rg := range p.Ranges {
			ap.Ranges = append(ap.Ranges, announce.Range{First: rg.First, Last: rg.Last})
		}
		out.plan.Pools = append(out.plan.Pools, ap)
	}
	if out.nodeFound {
		for name, p := range cfg.Peers {
			if !p.SelectsNode(node.Labels) {
				continue
			}
			out.peers[name] = p
			out.plan.Peers = append(out.plan.Peers, announce.Peer{Name: name, Address: p.Address, IBGP: p.IBGP(), RouterID: p.RouterID})
		}
		for _, a := range cfg.BGPAnnouncements {
			if a.SelectsNode(node.Labels) {
				out.plan.BGPAnnouncements = append(out.plan.BGPAnnouncements, announcement(a))
			}
		}
	}
	out.plan.Services = services(svcs, slices, r.opts.ServeClassless)
	out.services = make(map[string]*corev1.Service, len(svcs))
	for _, s := range svcs {
		out.services[s.Namespace+"/"+s.Name] = s
	}
	return out, nil
}

func announcement(a *config.BGPAnnouncement) announce.BGPAnnouncement {
	out := announce.BGPAnnouncement{
		Name:                a.Name,
		Pools:               a.Pools,
		Peers:               a.Peers,
		AggregationLength:   a.AggregationLength,
		AggregationLengthV6: a.AggregationLengthV6,
		LocalPref:           a.LocalPref,
	}
	for _, c := range a.Communities {
		if c.Large {
			out.LargeCommunities = append(out.LargeCommunities, announce.LargeCommunity{c.GlobalAdmin, c.LocalData1, c.LocalData2})
		} else {
			out.Communities = append(out.Communities, c.Value)
		}
	}
	return out
}

// services turns the LoadBalancer Services ironlb serves, with their
// EndpointSlices, into the planner's form.
func services(svcs []*corev1.Service, slices []*discoveryv1.EndpointSlice, classless bool) []announce.Service {
	byService := map[types.NamespacedName][]*discoveryv1.EndpointSlice{}
	for _, s := range slices {
		name := s.Labels[discoveryv1.LabelServiceName]
		if name == "" {
			continue
		}
		k := types.NamespacedName{Namespace: s.Namespace, Name: name}
		byService[k] = append(byService[k], s)
	}
	var out []announce.Service
	for _, svc := range svcs {
		if !config.Served(svc, classless) {
			continue
		}
		as := announce.Service{
			Key:   svc.Namespace + "/" + svc.Name,
			Local: svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal,
		}
		for _, ing := range svc.Status.LoadBalancer.Ingress {
			if a, err := netip.ParseAddr(ing.IP); err == nil {
				as.IPs = append(as.IPs, a.Unmap())
			}
		}
		if len(as.IPs) == 0 {
			continue
		}
		for _, s := range byService[types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}] {
			for _, ep := range s.Endpoints {
				as.Endpoints = append(as.Endpoints, endpoint(ep))
			}
		}
		out = append(out, as)
	}
	return out
}

// endpoint reads the conditions as discovery.k8s.io/v1 documents them: a
// nil ready means ready, a nil serving means the same as ready, a nil
// terminating means not terminating.
func endpoint(ep discoveryv1.Endpoint) announce.Endpoint {
	c := ep.Conditions
	e := announce.Endpoint{Ready: c.Ready == nil || *c.Ready}
	e.Serving = e.Ready
	if c.Serving != nil {
		e.Serving = *c.Serving
	}
	e.Terminating = c.Terminating != nil && *c.Terminating
	if ep.NodeName != nil {
		e.Node = *ep.NodeName
	}
	return e
}

// internalIPs returns the node's InternalIPs, IPv4 first.
func internalIPs(node *corev1.Node) []netip.Addr {
	var v4, v6 []netip.Addr
	for _, a := range node.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		ip, err := netip.ParseAddr(a.Address)
		if err != nil {
			continue
		}
		if ip = ip.Unmap(); ip.Is4() {
			v4 = append(v4, ip)
		} else {
			v6 = append(v6, ip)
		}
	}
	return append(v4, v6...)
}

func hasLabel(node *corev1.Node, key string) bool {
	_, ok := node.Labels[key]
	return ok
}
