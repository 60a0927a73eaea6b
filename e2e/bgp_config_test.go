//go:build linux

package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/e2e/cluster"
	"github.com/ironlb/ironlb/e2e/lab"
)

// create makes an object from YAML and deletes it with the test.
func create(t testing.TB, doc string) {
	t.Helper()
	var u unstructured.Unstructured
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatal(err)
	}
	if err := c.Env.Client.Create(t.Context(), &u); err != nil {
		t.Fatalf("create %s %s: %v", u.GetKind(), u.GetName(), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.Env.Client.Delete(ctx, &u)
	})
}

// paths returns the paths a router holds for a prefix.
func paths(t *testing.T, ctx context.Context, router string, p netip.Prefix) ([]lab.Path, error) {
	t.Helper()
	get := c.Lab.FRRPaths
	if router == "BIRD" {
		get = c.Lab.BIRDPaths
	}
	all, err := get(ctx, family(p.Addr()))
	if err != nil {
		return nil, err
	}
	return all[p], nil
}

// Communities (standard, well-known, large) reach both routers; LOCAL_PREF
// reaches only the iBGP one; an aggregate goes only to the peer its
// announcement names.
func TestBGPAttributesAndAggregation(t *testing.T) {
	create(t, `{apiVersion: ironlb.io/v1alpha1, kind: IPPool, metadata: {name: attrs},
		spec: {addresses: [198.18.200.0/24], autoAssign: false}}`)
	create(t, `{apiVersion: ironlb.io/v1alpha1, kind: BGPAnnouncement, metadata: {name: attrs},
		spec: {ipPools: [attrs], localPref: 300, communities: ["64512:100", "no-export", "large:64512:1:2"]}}`)
	create(t, `{apiVersion: ironlb.io/v1alpha1, kind: BGPAnnouncement, metadata: {name: attrs-agg},
		spec: {ipPools: [attrs], peers: [router], aggregationLength: 28}}`)
	ips := newService(t, cluster.ServiceSpec{Nodes: []int{1, 2, 3}, Annotations: map[string]string{v1alpha1.AnnotationPool: "attrs"}})
	ip := ips[0]
	if !netip.MustParsePrefix("198.18.200.0/24").Contains(ip) {
		t.Fatalf("address %s is not from pool attrs", ip)
	}
	all := nodes(4, 1, 2, 3)
	waitRoute(t, routers()[0], host(ip), all)
	waitRoute(t, routers()[1], host(ip), all)

	for _, tc := range []struct {
		router    string
		localPref uint32
	}{
		{"FRR", 0},    // eBGP: LOCAL_PREF is not sent (RFC 4271 §5.1.5)
		{"BIRD", 300}, // iBGP
	} {
		eventually(t, tc.router+" path attributes", func(ctx context.Context) (bool, string) {
			ps, err := paths(t, ctx, tc.router, host(ip))
			if err != nil || len(ps) == 0 {
				return false, fmt.Sprintf("paths %v, %v", ps, err)
			}
			for _, p := range ps {
				ok := slices.Contains(p.Communities, "64512:100") &&
					slices.ContainsFunc(p.Communities, isNoExport) &&
					slices.Equal(p.LargeCommunities, []string{"64512:1:2"}) &&
					(tc.localPref == 0 || p.LocalPref == tc.localPref)
				if !ok {
					return false, fmt.Sprintf("path from %s: communities %v, large %v, local-pref %d",
						p.Peer, p.Communities, p.LargeCommunities, p.LocalPref)
				}
			}
			return true, ""
		})
	}
	agg, err := ip.Prefix(28)
	if err != nil {
		t.Fatal(err)
	}
	waitRoute(t, routers()[0], agg, all)
	// BIRD is not named by attrs-agg: it must never get the aggregate. The
	// /32 above arrived after it would have, over the same sessions.
	if ps, err := paths(t, t.Context(), "BIRD", agg); err != nil || len(ps) != 0 {
		t.Errorf("BIRD has the aggregate %s (%v, %v); only FRR is selected", agg, ps, err)
	}
}

// isNoExport matches the well-known NO_EXPORT community (RFC 1997) as
// either router prints it.
func isNoExport(s string) bool {
	return s == "no-export" || s == "noExport" || s == "65535:65281"
}

// A BGPPeer's nodeSelector limits the nodes that peer; editing that peer
// resets only its own sessions: the other router's sessions stay up.
func TestBGPEditOnePeerLeavesOthersUp(t *testing.T) {
	ips := newService(t, cluster.ServiceSpec{Nodes: []int{1, 2, 3}})
	p := host(ips[0])
	waitRouteEverywhere(t, p, nodes(4, 1, 2, 3))
	before, err := c.Lab.FRRNeighbors(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	edit := func(ctx context.Context, mutate func(*v1alpha1.BGPPeer)) {
		t.Helper()
		editPeer(t, ctx, "router2", mutate)
	}
	edit(t.Context(), func(p *v1alpha1.BGPPeer) {
		p.Spec.NodeSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/hostname": "node1"}}
	})
	t.Cleanup(func() {
		edit(context.Background(), func(p *v1alpha1.BGPPeer) { p.Spec.NodeSelector = nil })
	})
	waitRoute(t, routers()[1], p, nodes(4, 1))

	after, err := c.Lab.FRRNeighbors(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for addr, b := range before {
		a, ok := after[addr]
		// FRR reports uptime in whole seconds, so Since moves by up to a
		// second between two reads of the same session.
		if !ok || a.State != "Established" || a.Established != b.Established || a.Dropped != b.Dropped ||
			a.Since.Sub(b.Since).Abs() > 1500*time.Millisecond {
			t.Errorf("FRR session with %s changed while only router2 was edited: before %+v, after %+v", addr, b, a)
		}
	}
	if len(before) != c.Lab.Nodes() {
		t.Errorf("FRR had %d sessions before the edit, want one per node (%d)", len(before), c.Lab.Nodes())
	}
}
