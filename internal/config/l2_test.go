package config_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/config"
)

func TestParseL2Announcements(t *testing.T) {
	// Pools of every state an announcement can refer to.
	pools := []v1alpha1.IPPool{
		with(pool("lan", 1, "198.51.100.200-198.51.100.250"), func(p *v1alpha1.IPPool) { p.Labels = map[string]string{"net": "lan"} }),
		with(pool("lan6", 2, "2001:db8:100::/120"), func(p *v1alpha1.IPPool) { p.Labels = map[string]string{"net": "lan"} }),
		pool("bgp", 3, "203.0.113.0/24"),
		with(pool("broken", 4, "nope"), func(p *v1alpha1.IPPool) { p.Labels = map[string]string{"net": "lan"} }),
		pool("shadow", 5, "198.51.100.210"),
	}
	poolProblems := []config.Problem{
		problem(config.KindIPPool, "broken", "spec.addresses[0]", invalid, ""),
		problem(config.KindIPPool, "shadow", "spec.addresses[0]", overlap, ""),
	}
	validPools := []string{"bgp", "lan", "lan6"}
	withProblems := func(ps ...config.Problem) []config.Problem {
		return append(append([]config.Problem{}, poolProblems...), ps...)
	}
	good := l2("good", "lan")

	runParse(t, []parseCase{{
		name: "neither ipPools nor selector: every valid pool",
		in:   config.Input{Pools: pools, L2Announcements: []v1alpha1.L2Announcement{l2("all")}},
		want: want{pools: validPools, l2: []string{"all"}, problems: poolProblems},
		check: func(t *testing.T, c *config.Config) {
			want := &config.L2Announcement{Name: "all", Pools: []string{"bgp", "lan", "lan6"}}
			if diff := cmp.Diff(want, c.L2Announcements[0], cmpOpts); diff != "" {
				t.Errorf("announcement (-want +got):\n%s", diff)
			}
		},
	}, {
		name: "every field set, sorted by name",
		in: config.Input{Pools: pools, L2Announcements: []v1alpha1.L2Announcement{
			with(l2("lan", "lan6", "lan", "lan"), func(a *v1alpha1.L2Announcement) {
				a.Spec.NodeSelector = sel(map[string]string{"rack": "r1"})
				a.Spec.Interfaces = []v1alpha1.InterfaceName{"enp*", "bond[01]", "eth0", "enp*", "veth^x"}
			}),
			good,
		}},
		want: want{pools: validPools, l2: []string{"good", "lan"}, problems: poolProblems},
		check: func(t *testing.T, c *config.Config) {
			want := &config.L2Announcement{
				Name:         "lan",
				Pools:        []string{"lan", "lan6"},
				NodeSelector: mustSelector("rack=r1"),
				Interfaces:   []string{"bond[01]", "enp*", "eth0", "veth^x"},
			}
			a := c.L2Announcements[1]
			if diff := cmp.Diff(want, a, cmpOpts); diff != "" {
				t.Errorf("announcement (-want +got):\n%s", diff)
			}
			if !a.SelectsPool("lan6") || a.SelectsPool("bgp") || !a.SelectsNode(map[string]string{"rack": "r1"}) || a.SelectsNode(nil) {
				t.Errorf("SelectsPool/SelectsNode disagree with %+v", a)
			}
			if !c.L2Announcements[0].SelectsNode(nil) {
				t.Errorf("an announcement without nodeSelector must select every node")
			}
		},
	}, {
		name: "missing and unusable pools are reported, the rest kept",
		in:   config.Input{Pools: pools, L2Announcements: []v1alpha1.L2Announcement{l2("lan", "lan", "nope", "broken", "shadow"), good}},
		want: want{pools: validPools, l2: []string{"good", "lan"}, problems: withProblems(
			problem(config.KindL2Announcement, "lan", "spec.ipPools[1]", missing, `IPPool "nope" does not exist`),
			problem(config.KindL2Announcement, "lan", "spec.ipPools[2]", missing, `IPPool "broken" is not used: it is invalid`),
			problem(config.KindL2Announcement, "lan", "spec.ipPools[3]", missing, `IPPool "shadow" is not used: it overlaps an older pool`),
		)},
		check: func(t *testing.T, c *config.Config) {
			if diff := cmp.Diff([]string{"lan"}, c.L2Announcements[1].Pools); diff != "" {
				t.Errorf("Pools (-want +got):\n%s", diff)
			}
		},
	}, {
		name: "no pool left: kept, with no pools",
		in:   config.Input{Pools: pools, L2Announcements: []v1alpha1.L2Announcement{l2("lan", "nope"), good}},
		want: want{pools: validPools, l2: []string{"good", "lan"}, problems: withProblems(
			problem(config.KindL2Announcement, "lan", "spec.ipPools[0]", missing, `IPPool "nope" does not exist`),
		)},
		check: func(t *testing.T, c *config.Config) {
			if a := c.L2Announcements[1]; len(a.Pools) != 0 || a.SelectsPool("nope") {
				t.Errorf("Pools = %q, want none", a.Pools)
			}
		},
	}, {
		name: "ipPoolSelector matches valid pools only",
		in: config.Input{Pools: pools, L2Announcements: []v1alpha1.L2Announcement{{
			ObjectMeta: metav1.ObjectMeta{Name: "lan"},
			Spec:       v1alpha1.L2AnnouncementSpec{IPPoolSelector: sel(map[string]string{"net": "lan"})},
		}}},
		want: want{pools: validPools, l2: []string{"lan"}, problems: poolProblems},
		check: func(t *testing.T, c *config.Config) {
			if diff := cmp.Diff([]string{"lan", "lan6"}, c.L2Announcements[0].Pools); diff != "" {
				t.Errorf("Pools (-want +got):\n%s", diff)
			}
		},
	}, {
		name: "ipPools and ipPoolSelector both set",
		in: config.Input{Pools: pools, L2Announcements: []v1alpha1.L2Announcement{good, with(l2("lan", "lan"), func(a *v1alpha1.L2Announcement) {
			a.Spec.IPPoolSelector = sel(map[string]string{"net": "lan"})
		})}},
		want: want{pools: validPools, l2: []string{"good"}, problems: withProblems(
			problem(config.KindL2Announcement, "lan", "spec", invalid, "set ipPools or ipPoolSelector, not both"),
		)},
	}, {
		name: "bad ipPoolSelector",
		in: config.Input{Pools: pools, L2Announcements: []v1alpha1.L2Announcement{good, {
			ObjectMeta: metav1.ObjectMeta{Name: "lan"},
			Spec:       v1alpha1.L2AnnouncementSpec{IPPoolSelector: sel(nil, metav1.LabelSelectorRequirement{Key: "net", Operator: metav1.LabelSelectorOpExists, Values: []string{"x"}})},
		}}},
		want: want{pools: validPools, l2: []string{"good"}, problems: withProblems(
			problem(config.KindL2Announcement, "lan", "spec.ipPoolSelector", invalid, "invalid label selector"),
		)},
	}, {
		name: "bad nodeSelector",
		in: config.Input{Pools: pools, L2Announcements: []v1alpha1.L2Announcement{good, with(l2("lan", "lan"), func(a *v1alpha1.L2Announcement) {
			a.Spec.NodeSelector = sel(map[string]string{"rack": "no spaces"})
		})}},
		want: want{pools: validPools, l2: []string{"good"}, problems: withProblems(
			problem(config.KindL2Announcement, "lan", "spec.nodeSelector", invalid, "invalid label selector"),
		)},
	}, {
		name: "malformed globs",
		in: config.Input{Pools: pools, L2Announcements: []v1alpha1.L2Announcement{good, with(l2("lan", "lan"), func(a *v1alpha1.L2Announcement) {
			a.Spec.Interfaces = []v1alpha1.InterfaceName{"eth0", "eth[0", "bond[]", "enp[^]"}
		})}},
		want: want{pools: validPools, l2: []string{"good"}, problems: withProblems(
			problem(config.KindL2Announcement, "lan", "spec.interfaces[1]", invalid, `interface glob "eth[0" is malformed`),
			problem(config.KindL2Announcement, "lan", "spec.interfaces[2]", invalid, "malformed"),
			problem(config.KindL2Announcement, "lan", "spec.interfaces[3]", invalid, "malformed"),
		)},
	}, {
		name: "interface names outside the schema",
		in: config.Input{Pools: pools, L2Announcements: []v1alpha1.L2Announcement{good, with(l2("lan", "lan"), func(a *v1alpha1.L2Announcement) {
			a.Spec.Interfaces = []v1alpha1.InterfaceName{"", "eth/0", "eth 0", `eth\*`, v1alpha1.InterfaceName(string(make([]byte, 65)))}
		})}},
		want: want{pools: validPools, l2: []string{"good"}, problems: withProblems(
			problem(config.KindL2Announcement, "lan", "spec.interfaces[0]", invalid, "interface name is empty"),
			problem(config.KindL2Announcement, "lan", "spec.interfaces[1]", invalid, "may contain only letters, digits and - _ . * ? [ ] ^"),
			problem(config.KindL2Announcement, "lan", "spec.interfaces[2]", invalid, "may contain only"),
			problem(config.KindL2Announcement, "lan", "spec.interfaces[3]", invalid, "may contain only"),
			problem(config.KindL2Announcement, "lan", "spec.interfaces[4]", invalid, "at most 64"),
		)},
	}, {
		name: "no pools at all",
		in:   config.Input{L2Announcements: []v1alpha1.L2Announcement{l2("all")}},
		want: want{l2: []string{"all"}},
	}})
}
