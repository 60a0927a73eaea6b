package config_test

import (
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/config"
)

// epoch is the creation time of every test object, plus its age in seconds.
var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func meta(name string, created int, l map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Labels: l, CreationTimestamp: metav1.NewTime(epoch.Add(time.Duration(created) * time.Second))}
}

// with returns v changed by f, to build variants of a fixture in one
// expression.
func with[T any](v T, f func(*T)) T {
	f(&v)
	return v
}

func ptr[T any](v T) *T { return &v }

func pool(name string, created int, addrs ...string) v1alpha1.IPPool {
	p := v1alpha1.IPPool{ObjectMeta: meta(name, created, nil)}
	for _, a := range addrs {
		p.Spec.Addresses = append(p.Spec.Addresses, v1alpha1.AddressRange(a))
	}
	return p
}

func l2(name string, pools ...string) v1alpha1.L2Announcement {
	return v1alpha1.L2Announcement{ObjectMeta: meta(name, 0, nil), Spec: v1alpha1.L2AnnouncementSpec{IPPools: names(pools)}}
}

func peer(name, addr string, asn, localASN int64) v1alpha1.BGPPeer {
	return v1alpha1.BGPPeer{ObjectMeta: meta(name, 0, nil), Spec: v1alpha1.BGPPeerSpec{Address: addr, ASN: asn, LocalASN: localASN}}
}

func bgpa(name string, pools ...string) v1alpha1.BGPAnnouncement {
	return v1alpha1.BGPAnnouncement{ObjectMeta: meta(name, 0, nil), Spec: v1alpha1.BGPAnnouncementSpec{IPPools: names(pools)}}
}

func namespace(name string, l map[string]string) corev1.Namespace {
	return corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}}
}

func secret(ns, name string, data map[string]string) corev1.Secret {
	s := corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func names(s []string) []v1alpha1.ObjectName {
	var out []v1alpha1.ObjectName
	for _, n := range s {
		out = append(out, v1alpha1.ObjectName(n))
	}
	return out
}

func sel(matchLabels map[string]string, exprs ...metav1.LabelSelectorRequirement) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: matchLabels, MatchExpressions: exprs}
}

func dur(s string) *metav1.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return &metav1.Duration{Duration: d}
}

func rng(first, last string) config.Range {
	return config.Range{First: netip.MustParseAddr(first), Last: netip.MustParseAddr(last)}
}

func mustSelector(s string) labels.Selector {
	l, err := labels.Parse(s)
	if err != nil {
		panic(err)
	}
	return l
}

// cmpOpts compare the model's types: selectors by their canonical string,
// addresses by value.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b labels.Selector) bool { return selString(a) == selString(b) }),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
}

func selString(s labels.Selector) string {
	if s == nil {
		return "<nil: everything>"
	}
	return "selector " + s.String()
}

// want is what a Parse case expects: which objects are in the Config, and
// every problem by kind, name, field and reason. A non-empty Message in a
// wanted problem must be a substring of the one found.
type want struct {
	pools, l2, peers, bgp []string
	problems              []config.Problem
}

// parseCase is one case of a table that calls Parse.
type parseCase struct {
	name  string
	in    config.Input
	want  want
	check func(t *testing.T, c *config.Config) // details beyond presence
}

func runParse(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, probs := config.Parse(tc.in)
			got := want{pools: mapKeys(c.Pools), peers: mapKeys(c.Peers)}
			for _, a := range c.L2Announcements {
				got.l2 = append(got.l2, a.Name)
			}
			for _, a := range c.BGPAnnouncements {
				got.bgp = append(got.bgp, a.Name)
			}
			for _, p := range probs {
				got.problems = append(got.problems, config.Problem{Kind: p.Kind, Name: p.Name, Field: p.Field, Reason: p.Reason})
			}
			wantKeys := tc.want
			wantKeys.problems = nil
			for _, p := range tc.want.problems {
				p.Message = ""
				wantKeys.problems = append(wantKeys.problems, p)
			}
			if diff := cmp.Diff(wantKeys, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("Parse() (-want +got):\n%s\nproblems:\n%v", diff, probs.Err())
			}
			for i, p := range tc.want.problems {
				if i < len(probs) && !strings.Contains(probs[i].Message, p.Message) {
					t.Errorf("problem %d = %q, want it to contain %q", i, probs[i].Message, p.Message)
				}
			}
			if tc.check != nil && !t.Failed() {
				tc.check(t, c)
			}
		})
	}
}

func mapKeys[V any](m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(m))
}

// problem builds a wanted problem; msg is a substring of the message.
func problem(kind, name, field, reason, msg string) config.Problem {
	return config.Problem{Kind: kind, Name: name, Field: field, Reason: reason, Message: msg}
}

const (
	invalid = v1alpha1.ReasonInvalid
	overlap = v1alpha1.ReasonOverlap
	missing = v1alpha1.ReasonMissingReference
)

func requirement(key, op string, values ...string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOperator(op), Values: values}
}
