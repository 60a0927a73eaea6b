package config_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/config"
)

func allocation(a v1alpha1.IPPoolAllocation) func(*v1alpha1.IPPool) {
	return func(p *v1alpha1.IPPool) { p.Spec.Allocation = &a }
}

func TestParsePools(t *testing.T) {
	good := pool("good", 0, "198.18.2.0/24")
	teams := []corev1.Namespace{
		namespace("team-a", map[string]string{"tier": "gold"}),
		namespace("team-b", map[string]string{"tier": "silver"}),
		namespace("team-c", map[string]string{"tier": "gold"}),
	}
	runParse(t, []parseCase{{
		name: "defaults",
		in:   config.Input{Pools: []v1alpha1.IPPool{pool("lab", 0, "2001:db8:200::/120", "203.0.113.0/24", "198.51.100.7")}},
		want: want{pools: []string{"lab"}},
		check: func(t *testing.T, c *config.Config) {
			want := &config.Pool{
				Name:          "lab",
				Ranges:        []config.Range{rng("198.51.100.7", "198.51.100.7"), rng("203.0.113.0", "203.0.113.255"), rng("2001:db8:200::", "2001:db8:200::ff")},
				AutoAssign:    true,
				AllNamespaces: true,
			}
			if diff := cmp.Diff(want, c.Pools["lab"], cmpOpts); diff != "" {
				t.Errorf("pool (-want +got):\n%s", diff)
			}
		},
	}, {
		name: "every field set",
		in: config.Input{Pools: []v1alpha1.IPPool{with(pool("lab", 0, "198.51.100.200-198.51.100.250"), func(p *v1alpha1.IPPool) {
			p.Spec.AutoAssign = ptr(false)
			p.Spec.AvoidBuggyIPs = true
			p.Spec.Allocation = &v1alpha1.IPPoolAllocation{Priority: -3, Namespaces: []string{"b", "a"}, ServiceSelector: sel(map[string]string{"app": "web"})}
		})}},
		want: want{pools: []string{"lab"}},
		check: func(t *testing.T, c *config.Config) {
			want := &config.Pool{
				Name:            "lab",
				Ranges:          []config.Range{rng("198.51.100.200", "198.51.100.250")},
				AvoidBuggyIPs:   true,
				Priority:        -3,
				Namespaces:      []string{"a", "b"},
				ServiceSelector: mustSelector("app=web"),
			}
			if diff := cmp.Diff(want, c.Pools["lab"], cmpOpts); diff != "" {
				t.Errorf("pool (-want +got):\n%s", diff)
			}
			p := c.Pools["lab"]
			if !p.AllowsService(map[string]string{"app": "web", "x": "y"}) || p.AllowsService(map[string]string{"app": "db"}) || p.AllowsService(nil) {
				t.Errorf("AllowsService does not follow app=web")
			}
		},
	}, {
		name: "adjacent entries are fine",
		in:   config.Input{Pools: []v1alpha1.IPPool{pool("lab", 0, "10.0.0.0/25", "10.0.0.128-10.0.0.255", "10.0.1.0")}},
		want: want{pools: []string{"lab"}},
	}, {
		name: "bad address",
		in:   config.Input{Pools: []v1alpha1.IPPool{good, pool("lab", 0, "10.0.0.0/24", "10.0.1.7/24", "10.0.2.0/24")}},
		want: want{pools: []string{"good"}, problems: []config.Problem{
			problem(config.KindIPPool, "lab", "spec.addresses[1]", invalid, "write its network address 10.0.1.0/24"),
		}},
	}, {
		name: "no addresses",
		in:   config.Input{Pools: []v1alpha1.IPPool{good, pool("lab", 0)}},
		want: want{pools: []string{"good"}, problems: []config.Problem{
			problem(config.KindIPPool, "lab", "spec.addresses", invalid, "at least one address"),
		}},
	}, {
		name: "overlap within a pool",
		in:   config.Input{Pools: []v1alpha1.IPPool{good, pool("lab", 0, "10.0.0.100-10.0.1.20", "10.9.0.0/16", "10.0.1.0/24")}},
		want: want{pools: []string{"good"}, problems: []config.Problem{
			problem(config.KindIPPool, "lab", "spec.addresses[2]", invalid, "10.0.1.0/24 overlaps spec.addresses[0] (10.0.0.100-10.0.1.20) at 10.0.1.0-10.0.1.20"),
		}},
	}, {
		name: "same address twice in a pool",
		in:   config.Input{Pools: []v1alpha1.IPPool{good, pool("lab", 0, "2001:db8::5", "2001:db8::/120")}},
		want: want{pools: []string{"good"}, problems: []config.Problem{
			problem(config.KindIPPool, "lab", "spec.addresses[1]", invalid, "overlaps spec.addresses[0] (2001:db8::5) at 2001:db8::5"),
		}},
	}, {
		name: "older pool wins though its name sorts last",
		in:   config.Input{Pools: []v1alpha1.IPPool{pool("alpha", 10, "10.0.0.128/25"), pool("zeta", 5, "10.0.0.0/24"), good}},
		want: want{pools: []string{"good", "zeta"}, problems: []config.Problem{
			problem(config.KindIPPool, "alpha", "spec.addresses[0]", overlap, `10.0.0.128/25 is also in IPPool "zeta" (its spec.addresses[0], 10.0.0.0/24), which was created earlier`),
		}},
	}, {
		name: "older pool wins though its name sorts first",
		in:   config.Input{Pools: []v1alpha1.IPPool{pool("zeta", 10, "10.0.0.0/24"), pool("alpha", 5, "10.0.0.128/25"), good}},
		want: want{pools: []string{"alpha", "good"}, problems: []config.Problem{
			problem(config.KindIPPool, "zeta", "spec.addresses[0]", overlap, `10.0.0.128/25 is also in IPPool "alpha"`),
		}},
	}, {
		name: "same age: first name wins",
		in:   config.Input{Pools: []v1alpha1.IPPool{pool("beta", 5, "10.0.0.0-10.0.0.10"), pool("alpha", 5, "10.0.0.10-10.0.0.20"), good}},
		want: want{pools: []string{"alpha", "good"}, problems: []config.Problem{
			problem(config.KindIPPool, "beta", "spec.addresses[0]", overlap, "10.0.0.10 is also in IPPool \"alpha\" (its spec.addresses[0], 10.0.0.10-10.0.0.20), which was created at the same time and sorts first by name"),
		}},
	}, {
		name: "every overlapping entry and pool is named",
		in: config.Input{Pools: []v1alpha1.IPPool{
			pool("a", 1, "10.0.0.0/24"), pool("b", 2, "10.0.1.0/24"),
			pool("c", 3, "10.0.2.0/24", "10.0.0.250-10.0.1.5", "2001:db8::/64", "10.0.0.9"),
		}},
		want: want{pools: []string{"a", "b"}, problems: []config.Problem{
			problem(config.KindIPPool, "c", "spec.addresses[1]", overlap, `10.0.0.250-10.0.0.255 is also in IPPool "a"`),
			problem(config.KindIPPool, "c", "spec.addresses[1]", overlap, `10.0.1.0-10.0.1.5 is also in IPPool "b"`),
			problem(config.KindIPPool, "c", "spec.addresses[3]", overlap, `10.0.0.9 is also in IPPool "a"`),
		}},
	}, {
		name: "a pool that lost an overlap still claims its addresses",
		in:   config.Input{Pools: []v1alpha1.IPPool{pool("a", 1, "10.0.0.0/25"), pool("b", 2, "10.0.0.0/24"), pool("c", 3, "10.0.0.200")}},
		want: want{pools: []string{"a"}, problems: []config.Problem{
			problem(config.KindIPPool, "b", "spec.addresses[0]", overlap, `IPPool "a"`),
			problem(config.KindIPPool, "c", "spec.addresses[0]", overlap, `IPPool "b"`),
		}},
	}, {
		name: "an invalid older pool still claims its addresses",
		in: config.Input{Pools: []v1alpha1.IPPool{
			pool("old", 1, "10.0.0.0/24", "bogus"),
			pool("new", 2, "10.0.0.0/28"), good,
		}},
		want: want{pools: []string{"good"}, problems: []config.Problem{
			problem(config.KindIPPool, "new", "spec.addresses[0]", overlap, `IPPool "old"`),
			problem(config.KindIPPool, "old", "spec.addresses[1]", invalid, `"bogus" is not an IP address`),
		}},
	}, {
		name: "families never overlap",
		in:   config.Input{Pools: []v1alpha1.IPPool{pool("v4", 1, "0.0.0.0/0"), pool("v6", 2, "::/0")}},
		want: want{pools: []string{"v4", "v6"}},
	}, {
		name: "namespaces by name and by selector",
		in: config.Input{Namespaces: teams, Pools: []v1alpha1.IPPool{with(pool("lab", 0, "10.0.0.0/24"), allocation(v1alpha1.IPPoolAllocation{
			Namespaces:        []string{"legacy", "team-a"},
			NamespaceSelector: sel(map[string]string{"tier": "gold"}),
		}))}},
		want: want{pools: []string{"lab"}},
		check: func(t *testing.T, c *config.Config) {
			p := c.Pools["lab"]
			if diff := cmp.Diff([]string{"legacy", "team-a", "team-c"}, p.Namespaces); diff != "" || p.AllNamespaces {
				t.Errorf("Namespaces (-want +got):\n%s AllNamespaces = %v", diff, p.AllNamespaces)
			}
			for ns, want := range map[string]bool{"legacy": true, "team-a": true, "team-b": false, "team-c": true, "other": false} {
				if got := p.AllowsNamespace(ns); got != want {
					t.Errorf("AllowsNamespace(%q) = %v, want %v", ns, got, want)
				}
			}
		},
	}, {
		name: "a selector that matches nothing allows nothing",
		in: config.Input{Namespaces: teams, Pools: []v1alpha1.IPPool{with(pool("lab", 0, "10.0.0.0/24"), allocation(v1alpha1.IPPoolAllocation{
			NamespaceSelector: sel(map[string]string{"tier": "bronze"}),
		}))}},
		want: want{pools: []string{"lab"}},
		check: func(t *testing.T, c *config.Config) {
			if p := c.Pools["lab"]; p.AllNamespaces || len(p.Namespaces) != 0 || p.AllowsNamespace("team-a") {
				t.Errorf("pool = %+v, want no namespace allowed", p)
			}
		},
	}, {
		name: "an empty selector allows every known namespace",
		in: config.Input{Namespaces: teams, Pools: []v1alpha1.IPPool{with(pool("lab", 0, "10.0.0.0/24"), allocation(v1alpha1.IPPoolAllocation{
			NamespaceSelector: &metav1.LabelSelector{},
		}))}},
		want: want{pools: []string{"lab"}},
		check: func(t *testing.T, c *config.Config) {
			if p := c.Pools["lab"]; !p.AllowsNamespace("team-b") || p.AllowsNamespace("unknown") {
				t.Errorf("pool = %+v, want team-a..c and nothing else", p)
			}
		},
	}, {
		name: "allocation without namespaces allows all",
		in:   config.Input{Pools: []v1alpha1.IPPool{with(pool("lab", 0, "10.0.0.0/24"), allocation(v1alpha1.IPPoolAllocation{Priority: 2}))}},
		want: want{pools: []string{"lab"}},
		check: func(t *testing.T, c *config.Config) {
			if p := c.Pools["lab"]; !p.AllNamespaces || !p.AllowsNamespace("anything") || p.Priority != 2 {
				t.Errorf("pool = %+v, want every namespace, priority 2", p)
			}
		},
	}, {
		name: "bad namespaceSelector operator",
		in: config.Input{Pools: []v1alpha1.IPPool{good, with(pool("lab", 0, "10.0.0.0/24"), allocation(v1alpha1.IPPoolAllocation{
			NamespaceSelector: sel(nil, metav1.LabelSelectorRequirement{Key: "tier", Operator: "Equals", Values: []string{"gold"}}),
		}))}},
		want: want{pools: []string{"good"}, problems: []config.Problem{
			problem(config.KindIPPool, "lab", "spec.allocation.namespaceSelector", invalid, `"Equals" is not a valid label selector operator`),
		}},
	}, {
		name: "serviceSelector In without values",
		in: config.Input{Pools: []v1alpha1.IPPool{good, with(pool("lab", 0, "10.0.0.0/24"), allocation(v1alpha1.IPPoolAllocation{
			ServiceSelector: sel(nil, metav1.LabelSelectorRequirement{Key: "app", Operator: metav1.LabelSelectorOpIn}),
		}))}},
		want: want{pools: []string{"good"}, problems: []config.Problem{
			problem(config.KindIPPool, "lab", "spec.allocation.serviceSelector", invalid, "invalid label selector"),
		}},
	}, {
		name: "bad label key, and a bad address: both reported, in field order",
		in: config.Input{Pools: []v1alpha1.IPPool{good, with(pool("lab", 0, "10.0.0.0/24", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10.0.1.0/33"), allocation(v1alpha1.IPPoolAllocation{
			ServiceSelector: sel(map[string]string{"bad key!": "x"}),
		}))}},
		want: want{pools: []string{"good"}, problems: []config.Problem{
			problem(config.KindIPPool, "lab", "spec.addresses[1]", invalid, ""),
			problem(config.KindIPPool, "lab", "spec.addresses[2]", invalid, ""),
			problem(config.KindIPPool, "lab", "spec.addresses[3]", invalid, ""),
			problem(config.KindIPPool, "lab", "spec.addresses[4]", invalid, ""),
			problem(config.KindIPPool, "lab", "spec.addresses[5]", invalid, ""),
			problem(config.KindIPPool, "lab", "spec.addresses[6]", invalid, ""),
			problem(config.KindIPPool, "lab", "spec.addresses[7]", invalid, ""),
			problem(config.KindIPPool, "lab", "spec.addresses[8]", invalid, ""),
			problem(config.KindIPPool, "lab", "spec.addresses[9]", invalid, ""),
			problem(config.KindIPPool, "lab", "spec.addresses[10]", invalid, "prefix length out of range"),
			problem(config.KindIPPool, "lab", "spec.allocation.serviceSelector", invalid, "bad key!"),
		}},
	}})
}
