package config_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/config"
)

func TestProblemError(t *testing.T) {
	for _, tc := range []struct {
		p    config.Problem
		want string
	}{
		{config.Problem{Kind: "IPPool", Name: "lab", Field: "spec.addresses[2]", Reason: "Invalid", Message: "bad"}, `IPPool "lab": spec.addresses[2]: bad`},
		{config.Problem{Kind: "BGPPeer", Name: "r1", Reason: "Invalid", Message: "bad"}, `BGPPeer "r1": bad`},
	} {
		if got := tc.p.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestProblemsForAndErr(t *testing.T) {
	_, probs := config.Parse(config.Input{
		Pools: []v1alpha1.IPPool{pool("a", 0, "x"), pool("b", 0, "y", "z"), pool("c", 0, "10.0.0.0/8")},
	})
	if got := len(probs.For(config.KindIPPool, "b")); got != 2 {
		t.Errorf("For(IPPool, b) has %d problems, want 2", got)
	}
	if got := probs.For(config.KindIPPool, "c"); got != nil {
		t.Errorf("For(IPPool, c) = %v, want nil", got)
	}
	if got := probs.For(config.KindL2Announcement, "a"); got != nil {
		t.Errorf("For(L2Announcement, a) = %v, want nil: kinds differ", got)
	}
	err := probs.Err()
	var p config.Problem
	if !errors.As(err, &p) || p.Name != "a" {
		t.Errorf("errors.As(%v) = %+v, want the problem of pool a", err, p)
	}
	want := `IPPool "a": spec.addresses[0]: "x" is not an IP address: unable to parse IP; write an IP address (198.51.100.7), a CIDR (203.0.113.0/24) or a range first-last of one family (198.51.100.200-198.51.100.250)`
	if got := probs[0].Error(); got != want {
		t.Errorf("first problem = %q, want %q", got, want)
	}
	if err := (config.Problems{}).Err(); err != nil {
		t.Errorf("Problems{}.Err() = %v, want nil", err)
	}
	if _, probs := config.Parse(config.Input{}); probs.Err() != nil {
		t.Errorf("Parse of nothing: %v", probs.Err())
	}
}

// TestParseOrderFree checks that the input order changes neither the Config
// nor the problems, and that every problem carries one of the reasons the
// API defines.
func TestParseOrderFree(t *testing.T) {
	in := config.Input{
		SecretNamespace: "ironlb-system",
		Pools: []v1alpha1.IPPool{
			pool("a", 3, "10.0.0.0/24"), pool("b", 1, "10.0.0.128/25", "bad"), pool("c", 1, "10.0.0.0-10.0.0.3"),
			pool("d", 2, "2001:db8::/64"), pool("e", 9, "2001:db8::/48"), pool("f", 0, "198.18.2.1", "198.18.2.1"),
		},
		L2Announcements: []v1alpha1.L2Announcement{l2("x", "a", "b", "zz"), l2("y"), l2("w", "d")},
		Peers: []v1alpha1.BGPPeer{
			peer("p1", "198.51.100.1", 1, 1), peer("p2", "198.51.100.2", 0, 1),
			with(peer("p3", "198.51.100.3", 2, 1), func(p *v1alpha1.BGPPeer) {
				p.Spec.PasswordSecretRef = &v1alpha1.SecretKeyRef{Name: "s"}
			}),
		},
		BGPAnnouncements: []v1alpha1.BGPAnnouncement{
			with(bgpa("m"), func(a *v1alpha1.BGPAnnouncement) { a.Spec.AggregationLength = ptr[int32](24) }),
			with(bgpa("n", "d", "q"), func(a *v1alpha1.BGPAnnouncement) { a.Spec.Communities = []v1alpha1.Community{"1:1", "x"} }),
		},
	}
	wantCfg, wantProbs := config.Parse(in)
	if len(wantProbs) < 8 {
		t.Fatalf("want a busy fixture, got %d problems:\n%v", len(wantProbs), wantProbs.Err())
	}
	for _, p := range wantProbs {
		if !slices.Contains([]string{v1alpha1.ReasonInvalid, v1alpha1.ReasonOverlap, v1alpha1.ReasonMissingReference}, p.Reason) {
			t.Errorf("problem %v has reason %q", p, p.Reason)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		shuffled := in
		shuffled.Pools = slices.Clone(in.Pools)
		shuffled.L2Announcements = slices.Clone(in.L2Announcements)
		shuffled.Peers = slices.Clone(in.Peers)
		shuffled.BGPAnnouncements = slices.Clone(in.BGPAnnouncements)
		r.Shuffle(len(shuffled.Pools), func(i, j int) { shuffled.Pools[i], shuffled.Pools[j] = shuffled.Pools[j], shuffled.Pools[i] })
		r.Shuffle(len(shuffled.L2Announcements), func(i, j int) {
			shuffled.L2Announcements[i], shuffled.L2Announcements[j] = shuffled.L2Announcements[j], shuffled.L2Announcements[i]
		})
		r.Shuffle(len(shuffled.Peers), func(i, j int) { shuffled.Peers[i], shuffled.Peers[j] = shuffled.Peers[j], shuffled.Peers[i] })
		r.Shuffle(len(shuffled.BGPAnnouncements), func(i, j int) {
			shuffled.BGPAnnouncements[i], shuffled.BGPAnnouncements[j] = shuffled.BGPAnnouncements[j], shuffled.BGPAnnouncements[i]
		})
		cfg, probs := config.Parse(shuffled)
		if diff := cmp.Diff(wantCfg, cfg, cmpOpts); diff != "" {
			t.Fatalf("Config depends on input order (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantProbs, probs); diff != "" {
			t.Fatalf("Problems depend on input order (-want +got):\n%s", diff)
		}
	}
}
