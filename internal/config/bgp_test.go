package config_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/config"
)

func TestParseBGPAnnouncements(t *testing.T) {
	labelled := func(l map[string]string) func(*metav1.ObjectMeta) {
		return func(m *metav1.ObjectMeta) { m.Labels = l }
	}
	withMeta := func(p v1alpha1.IPPool, f func(*metav1.ObjectMeta)) v1alpha1.IPPool { f(&p.ObjectMeta); return p }
	pools := []v1alpha1.IPPool{
		withMeta(pool("bgp", 1, "203.0.113.0/24"), labelled(map[string]string{"mode": "bgp"})),
		pool("lan", 2, "198.51.100.200-198.51.100.250"),
		withMeta(pool("v6", 3, "2001:db8:200::/120"), labelled(map[string]string{"mode": "bgp"})),
		pool("halves", 4, "198.18.2.0/25", "198.18.2.128-198.18.2.255"),
		pool("broken", 5, "198.18.2.7/24"),
	}
	poolNames := []string{"bgp", "halves", "lan", "v6"}
	brokenPool := problem(config.KindIPPool, "broken", "spec.addresses[0]", invalid, "")
	ibgp := peer("ibgp", "198.51.100.1", 64512, 64512)
	ebgp := with(peer("ebgp", "198.51.100.2", 64500, 64512), func(p *v1alpha1.BGPPeer) { p.Labels = map[string]string{"role": "upstream"} })
	ebgp2 := with(peer("ebgp2", "2001:db8:100::1", 64501, 64512), func(p *v1alpha1.BGPPeer) { p.Labels = map[string]string{"role": "upstream"} })
	locked := with(peer("locked", "198.51.100.3", 64502, 64512), func(p *v1alpha1.BGPPeer) {
		p.Spec.PasswordSecretRef = &v1alpha1.SecretKeyRef{Name: "nope"}
	})
	peers := []v1alpha1.BGPPeer{ibgp, ebgp, ebgp2, locked}
	peerNames := []string{"ebgp", "ebgp2", "ibgp"}
	lockedPeer := problem(config.KindBGPPeer, "locked", "spec.passwordSecretRef", missing, "")
	base := []config.Problem{lockedPeer, brokenPool}
	plus := func(ps ...config.Problem) []config.Problem { return append(ps, base...) } // BGPAnnouncement sorts first
	in := func(as ...v1alpha1.BGPAnnouncement) config.Input {
		return config.Input{Pools: pools, Peers: peers, BGPAnnouncements: as, SecretNamespace: "ironlb-system"}
	}
	good := bgpa("good", "bgp")
	a := func(f func(*v1alpha1.BGPAnnouncementSpec), pools ...string) v1alpha1.BGPAnnouncement {
		return with(bgpa("a", pools...), func(a *v1alpha1.BGPAnnouncement) { f(&a.Spec) })
	}
	announced := func(want *config.BGPAnnouncement) func(*testing.T, *config.Config) {
		return func(t *testing.T, c *config.Config) {
			if diff := cmp.Diff(want, c.BGPAnnouncements[0], cmpOpts); diff != "" {
				t.Errorf("announcement (-want +got):\n%s", diff)
			}
		}
	}
	both := []string{"a", "good"}

	runParse(t, []parseCase{{
		name: "defaults: every valid pool that fits /32 and /128, every valid peer",
		in:   in(bgpa("a")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"a"}, problems: base},
		check: announced(&config.BGPAnnouncement{
			Name: "a", Pools: poolNames, Peers: peerNames, AggregationLength: 32, AggregationLengthV6: 128,
		}),
	}, {
		name: "every field set",
		in: in(a(func(s *v1alpha1.BGPAnnouncementSpec) {
			s.Peers = names([]string{"ibgp", "ebgp"})
			s.NodeSelector = sel(map[string]string{"bgp": "yes"})
			s.AggregationLength, s.AggregationLengthV6 = ptr[int32](24), ptr[int32](120)
			s.LocalPref = ptr[int64](4294967295)
			s.Communities = []v1alpha1.Community{"65000:100", "no-export", "large:64500:1:2"}
		}, "bgp", "v6")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"a"}, problems: base},
		check: func(t *testing.T, c *config.Config) {
			announced(&config.BGPAnnouncement{
				Name: "a", Pools: []string{"bgp", "v6"}, Peers: []string{"ebgp", "ibgp"}, NodeSelector: mustSelector("bgp=yes"),
				AggregationLength: 24, AggregationLengthV6: 120, LocalPref: ptr[uint32](4294967295),
				Communities: []config.Community{config.StandardCommunity(65000<<16 | 100), config.StandardCommunity(config.CommunityNoExport), config.LargeCommunity(64500, 1, 2)},
			})(t, c)
			a := c.BGPAnnouncements[0]
			if !a.SelectsPool("v6") || a.SelectsPool("lan") || !a.SelectsPeer("ibgp") || a.SelectsPeer("ebgp2") || a.SelectsNode(nil) || !a.SelectsNode(map[string]string{"bgp": "yes"}) {
				t.Errorf("Selects* disagree with %+v", a)
			}
		},
	}, {
		name: "all well-known communities, duplicates removed",
		in: in(a(func(s *v1alpha1.BGPAnnouncementSpec) {
			s.Communities = []v1alpha1.Community{"no-export", "no-advertise", "no-export-subconfed", "no-peer", "blackhole",
				"graceful-shutdown", "accept-own", "llgr-stale", "no-llgr", "65535:65281", "large:1:2:3", "large:01:2:3"}
		}, "bgp")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"a"}, problems: base},
		check: func(t *testing.T, c *config.Config) {
			var got []string
			for _, c := range c.BGPAnnouncements[0].Communities {
				got = append(got, c.String())
			}
			want := []string{"no-export", "no-advertise", "no-export-subconfed", "no-peer", "blackhole", "graceful-shutdown", "accept-own", "llgr-stale", "no-llgr", "large:1:2:3"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Communities (-want +got):\n%s", diff)
			}
		},
	}, {
		name: "garbage community: the whole announcement is left out",
		in:   in(good, a(func(s *v1alpha1.BGPAnnouncementSpec) { s.Communities = []v1alpha1.Community{"no-export", "no-exprot"} }, "bgp")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"good"}, problems: plus(
			problem(config.KindBGPAnnouncement, "a", "spec.communities[1]", invalid, `"no-exprot" is not a community`),
		)},
	}, {
		name: "standard community out of range",
		in:   in(good, a(func(s *v1alpha1.BGPAnnouncementSpec) { s.Communities = []v1alpha1.Community{"65536:100"} }, "bgp")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"good"}, problems: plus(
			problem(config.KindBGPAnnouncement, "a", "spec.communities[0]", invalid, "65536 is out of range 0-65535"),
		)},
	}, {
		name: "large community out of range",
		in:   in(good, a(func(s *v1alpha1.BGPAnnouncementSpec) { s.Communities = []v1alpha1.Community{"large:1:4294967296:0"} }, "bgp")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"good"}, problems: plus(
			problem(config.KindBGPAnnouncement, "a", "spec.communities[0]", invalid, "4294967296 is out of range 0-4294967295"),
		)},
	}, {
		name: "localPref to eBGP peers only: reported, announcement kept",
		in: in(good, a(func(s *v1alpha1.BGPAnnouncementSpec) {
			s.PeerSelector = sel(map[string]string{"role": "upstream"})
			s.LocalPref = ptr[int64](200)
		}, "bgp")),
		want: want{pools: poolNames, peers: peerNames, bgp: both, problems: plus(
			problem(config.KindBGPAnnouncement, "a", "spec.localPref", invalid, "localPref is sent on iBGP sessions only"),
		)},
		check: func(t *testing.T, c *config.Config) {
			if a := c.BGPAnnouncements[0]; *a.LocalPref != 200 || !cmp.Equal(a.Peers, []string{"ebgp", "ebgp2"}) {
				t.Errorf("announcement = %+v, want localPref 200 to ebgp and ebgp2", a)
			}
		},
	}, {
		name: "localPref with one iBGP peer among eBGP ones",
		in:   in(a(func(s *v1alpha1.BGPAnnouncementSpec) { s.LocalPref = ptr[int64](0) }, "bgp")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"a"}, problems: base},
	}, {
		name: "localPref out of range",
		in:   in(good, a(func(s *v1alpha1.BGPAnnouncementSpec) { s.LocalPref = ptr[int64](-1) }, "bgp")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"good"}, problems: plus(
			problem(config.KindBGPAnnouncement, "a", "spec.localPref", invalid, "-1 must be between 0 and 4294967295"),
		)},
	}, {
		name: "aggregation /24 fits a /24 pool",
		in:   in(a(func(s *v1alpha1.BGPAnnouncementSpec) { s.AggregationLength = ptr[int32](24) }, "bgp")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"a"}, problems: base},
		check: func(t *testing.T, c *config.Config) {
			if a := c.BGPAnnouncements[0]; !cmp.Equal(a.Pools, []string{"bgp"}) || a.AggregationLength != 24 {
				t.Errorf("announcement = %+v, want pool bgp at /24", a)
			}
		},
	}, {
		name: "aggregation /23 would cover more than a /24 pool: the pool is dropped, the rest kept",
		in:   in(good, a(func(s *v1alpha1.BGPAnnouncementSpec) { s.AggregationLength = ptr[int32](23) }, "bgp", "v6")),
		want: want{pools: poolNames, peers: peerNames, bgp: both, problems: plus(
			problem(config.KindBGPAnnouncement, "a", "spec.aggregationLength", invalid, `23 would advertise 203.0.112.0/23, which covers addresses outside IPPool "bgp"`),
		)},
		check: func(t *testing.T, c *config.Config) {
			if a := c.BGPAnnouncements[0]; !cmp.Equal(a.Pools, []string{"v6"}) || !c.BGPAnnouncements[1].SelectsPool("bgp") {
				t.Errorf("announcements = %+v, %+v; want a with v6 only and good with bgp", a, c.BGPAnnouncements[1])
			}
		},
	}, {
		name: "aggregation /24 over a range inside a /24",
		in:   in(good, a(func(s *v1alpha1.BGPAnnouncementSpec) { s.AggregationLength = ptr[int32](24) }, "lan")),
		want: want{pools: poolNames, peers: peerNames, bgp: both, problems: plus(
			problem(config.KindBGPAnnouncement, "a", "spec.aggregationLength", invalid, `24 would advertise 198.51.100.0/24, which covers addresses outside IPPool "lan" and would attract traffic for addresses ironlb does not own: that pool needs 32 or longer`),
		)},
		check: func(t *testing.T, c *config.Config) {
			if a := c.BGPAnnouncements[0]; len(a.Pools) != 0 {
				t.Errorf("Pools = %q, want none", a.Pools)
			}
		},
	}, {
		name: "aggregation /32 over the same range",
		in:   in(a(func(s *v1alpha1.BGPAnnouncementSpec) { s.AggregationLength = ptr[int32](32) }, "lan")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"a"}, problems: base},
	}, {
		name: "adjacent ranges together fit a /24",
		in:   in(a(func(s *v1alpha1.BGPAnnouncementSpec) { s.AggregationLength = ptr[int32](24) }, "halves")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"a"}, problems: base},
	}, {
		name: "aggregation for IPv6 fits",
		in:   in(a(func(s *v1alpha1.BGPAnnouncementSpec) { s.AggregationLengthV6 = ptr[int32](120) }, "v6")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"a"}, problems: base},
	}, {
		name: "aggregation for IPv6 too short",
		in:   in(good, a(func(s *v1alpha1.BGPAnnouncementSpec) { s.AggregationLengthV6 = ptr[int32](64) }, "v6", "bgp")),
		want: want{pools: poolNames, peers: peerNames, bgp: both, problems: plus(
			problem(config.KindBGPAnnouncement, "a", "spec.aggregationLengthV6", invalid, `64 would advertise 2001:db8:200::/64, which covers addresses outside IPPool "v6" and would attract traffic for addresses ironlb does not own: that pool needs 120 or longer`),
		)},
		check: func(t *testing.T, c *config.Config) {
			if a := c.BGPAnnouncements[0]; !cmp.Equal(a.Pools, []string{"bgp"}) {
				t.Errorf("Pools = %q, want bgp", a.Pools)
			}
		},
	}, {
		name: "aggregation length out of range",
		in: in(good, a(func(s *v1alpha1.BGPAnnouncementSpec) {
			s.AggregationLength, s.AggregationLengthV6 = ptr[int32](33), ptr[int32](0)
		}, "bgp")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"good"}, problems: plus(
			problem(config.KindBGPAnnouncement, "a", "spec.aggregationLength", invalid, "33 must be between 1 and 32"),
			problem(config.KindBGPAnnouncement, "a", "spec.aggregationLengthV6", invalid, "0 must be between 1 and 128"),
		)},
	}, {
		name: "missing and invalid pools and peers: the rest kept",
		in:   in(good, a(func(s *v1alpha1.BGPAnnouncementSpec) { s.Peers = names([]string{"ibgp", "nope", "locked"}) }, "nope", "bgp", "broken")),
		want: want{pools: poolNames, peers: peerNames, bgp: both, problems: plus(
			problem(config.KindBGPAnnouncement, "a", "spec.ipPools[0]", missing, `IPPool "nope" does not exist`),
			problem(config.KindBGPAnnouncement, "a", "spec.ipPools[2]", missing, `IPPool "broken" is not used: it is invalid`),
			problem(config.KindBGPAnnouncement, "a", "spec.peers[1]", missing, `BGPPeer "nope" does not exist`),
			problem(config.KindBGPAnnouncement, "a", "spec.peers[2]", missing, `BGPPeer "locked" is not used: it is invalid; see its conditions`),
		)},
		check: func(t *testing.T, c *config.Config) {
			if a := c.BGPAnnouncements[0]; !cmp.Equal(a.Pools, []string{"bgp"}) || !cmp.Equal(a.Peers, []string{"ibgp"}) {
				t.Errorf("announcement = %+v, want pool bgp to peer ibgp", a)
			}
		},
	}, {
		name: "pool and peer selectors match valid objects only",
		in: in(a(func(s *v1alpha1.BGPAnnouncementSpec) {
			s.IPPoolSelector = sel(map[string]string{"mode": "bgp"})
			s.PeerSelector = sel(nil, requirement("role", "In", "upstream", "transit"))
		})),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"a"}, problems: base},
		check: func(t *testing.T, c *config.Config) {
			if a := c.BGPAnnouncements[0]; !cmp.Equal(a.Pools, []string{"bgp", "v6"}) || !cmp.Equal(a.Peers, []string{"ebgp", "ebgp2"}) {
				t.Errorf("announcement = %+v, want pools bgp, v6 to peers ebgp, ebgp2", a)
			}
		},
	}, {
		name: "a selector that matches nothing",
		in:   in(a(func(s *v1alpha1.BGPAnnouncementSpec) { s.PeerSelector = sel(map[string]string{"role": "none"}) }, "bgp")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"a"}, problems: base},
		check: func(t *testing.T, c *config.Config) {
			if a := c.BGPAnnouncements[0]; len(a.Peers) != 0 {
				t.Errorf("Peers = %q, want none", a.Peers)
			}
		},
	}, {
		name: "peers and peerSelector both set",
		in: in(good, a(func(s *v1alpha1.BGPAnnouncementSpec) {
			s.Peers = names([]string{"ibgp"})
			s.PeerSelector = sel(nil)
		}, "bgp")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"good"}, problems: plus(
			problem(config.KindBGPAnnouncement, "a", "spec", invalid, "set peers or peerSelector, not both"),
		)},
	}, {
		name: "ipPools and ipPoolSelector both set",
		in:   in(good, a(func(s *v1alpha1.BGPAnnouncementSpec) { s.IPPoolSelector = sel(nil) }, "bgp")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"good"}, problems: plus(
			problem(config.KindBGPAnnouncement, "a", "spec", invalid, "set ipPools or ipPoolSelector, not both"),
		)},
	}, {
		name: "bad peerSelector",
		in:   in(good, a(func(s *v1alpha1.BGPAnnouncementSpec) { s.PeerSelector = sel(nil, requirement("role", "NotIn")) }, "bgp")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"good"}, problems: plus(
			problem(config.KindBGPAnnouncement, "a", "spec.peerSelector", invalid, "invalid label selector"),
		)},
	}, {
		name: "bad nodeSelector",
		in:   in(good, a(func(s *v1alpha1.BGPAnnouncementSpec) { s.NodeSelector = sel(map[string]string{"-bad": "x"}) }, "bgp")),
		want: want{pools: poolNames, peers: peerNames, bgp: []string{"good"}, problems: plus(
			problem(config.KindBGPAnnouncement, "a", "spec.nodeSelector", invalid, "invalid label selector"),
		)},
	}})
}
