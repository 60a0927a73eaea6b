package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

func mustYAML(t *testing.T, s string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(s), &u.Object); err != nil {
		t.Fatalf("test YAML %q: %v", s, err)
	}
	return u
}

// object builds a manifest of an ironlb kind named "bad" with the given spec
// (flow-style YAML).
func object(kind, spec string) string {
	return fmt.Sprintf("{apiVersion: ironlb.io/v1alpha1, kind: %s, metadata: {name: bad}, spec: %s}", kind, spec)
}

func pool(addresses string) string { return object("IPPool", "{addresses: ["+addresses+"]}") }

func peer(extra string) string {
	return object("BGPPeer", "{address: 198.51.100.1, asn: 64500, localASN: 64512"+extra+"}")
}

// causeOf returns the causes of an Invalid error as "field: message" lines.
func causesOf(t *testing.T, err error) []string {
	t.Helper()
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil {
		t.Fatalf("error without status details: %v", err)
	}
	var out []string
	for _, c := range status.Status().Details.Causes {
		out = append(out, c.Field+": "+c.Message)
	}
	return out
}

// TestRejectedAtAdmission feeds the real apiserver objects that are wrong on
// their own. Each must be refused as Invalid, with a cause on the expected
// field whose message says what is allowed.
func TestRejectedAtAdmission(t *testing.T) {
	tests := []struct {
		name  string
		obj   string
		field string // the cause's field
		msg   string // a part of the cause's message
	}{
		// IPPool addresses.
		{"pool without addresses", object("IPPool", "{}"), "spec.addresses", "Required"},
		{"pool with empty address list", pool(""), "spec.addresses", "at least 1 item"},
		{"empty address", pool(`""`), "spec.addresses[0]", "at least 1 chars"},
		{"not an address", pool("300.1.1.1"), "spec.addresses[0]", "must be an IP address"},
		{"garbage", pool("lab-pool"), "spec.addresses[0]", "must be an IP address"},
		{"IPv4 leading zeros", pool("203.0.113.010"), "spec.addresses[0]", "must be an IP address"},
		{"spaces around the dash", pool(`"203.0.113.1 - 203.0.113.5"`), "spec.addresses[0]", "without spaces"},
		{"three ends", pool("203.0.113.1-203.0.113.2-203.0.113.3"), "spec.addresses[0]", "must be an IP address"},
		{"zone", pool(`"fe80::1%eth0"`), "spec.addresses[0]", "must be an IP address"},
		{"IPv4-mapped IPv6", pool(`"::ffff:203.0.113.1"`), "spec.addresses[0]", "must be an IP address"},
		{"CIDR with host bits", pool("203.0.113.7/24"), "spec.addresses[0]", "write its network address"},
		{"IPv6 CIDR with host bits", pool(`"2001:db8:200::1/120"`), "spec.addresses[0]", "host bits set"},
		{"CIDR prefix too long", pool("203.0.113.0/33"), "spec.addresses[0]", "must be an IP address"},
		{"range across families", pool(`"203.0.113.10-2001:db8::1"`), "spec.addresses[0]", "same family"},
		{"IPv4 range backwards", pool("203.0.113.20-203.0.113.10"), "spec.addresses[0]", "lower to its higher"},
		{"IPv4 range backwards by digit count", pool("198.51.100.100-198.51.100.99"), "spec.addresses[0]", "lower to its higher"},
		{"IPv6 range backwards", pool(`"2001:db8::ff-2001:db8::1"`), "spec.addresses[0]", "lower to its higher"},
		{"IPv6 range backwards across ::", pool(`"2001:db8::1:0-2001:db8::ffff"`), "spec.addresses[0]", "lower to its higher"},
		{"second entry bad", pool("203.0.113.0/28, 203.0.113.99/28"), "spec.addresses[1]", "host bits set"},
		{"bad namespace name", object("IPPool", "{addresses: [203.0.113.0/28], allocation: {namespaces: [Bad_NS]}}"), "spec.allocation.namespaces[0]", "should match"},
		{"autoAssign not a bool", object("IPPool", "{addresses: [203.0.113.0/28], autoAssign: maybe}"), "spec.autoAssign", "boolean"},

		// L2Announcement.
		{"l2 list and selector", object("L2Announcement", `{ipPools: [a], ipPoolSelector: {matchLabels: {x: "z"}}}`), "spec", "ipPools or ipPoolSelector, not both"},
		{"l2 empty pool name", object("L2Announcement", `{ipPools: [""]}`), "spec.ipPools[0]", "at least 1 chars"},
		{"l2 pool name with space", object("L2Announcement", `{ipPools: ["my pool"]}`), "spec.ipPools[0]", "should match"},
		{"l2 empty pool list", object("L2Announcement", "{ipPools: []}"), "spec.ipPools", "at least 1 item"},
		{"l2 interface with space", object("L2Announcement", `{interfaces: ["eth 0"]}`), "spec.interfaces[0]", "should match"},

		// BGPPeer.
		{"peer address garbage", object("BGPPeer", "{address: router, asn: 64500, localASN: 64512}"), "spec.address", "IPv4 or IPv6 address"},
		{"peer address unspecified", object("BGPPeer", `{address: "::", asn: 64500, localASN: 64512}`), "spec.address", "IPv4 or IPv6 address"},
		{"peer without asn", object("BGPPeer", "{address: 198.51.100.1, localASN: 64512}"), "spec.asn", "Required"},
		{"asn 0", object("BGPPeer", "{address: 198.51.100.1, asn: 0, localASN: 64512}"), "spec.asn", "greater than or equal to 1"},
		{"asn above 32 bits", object("BGPPeer", "{address: 198.51.100.1, asn: 4294967296, localASN: 64512}"), "spec.asn", "less than or equal to 4294967295"},
		{"localASN negative", object("BGPPeer", "{address: 198.51.100.1, asn: 64500, localASN: -1}"), "spec.localASN", "greater than or equal to 1"},
		{"port 0", peer(", port: 0"), "spec.port", "greater than or equal to 1"},
		{"port 70000", peer(", port: 70000"), "spec.port", "less than or equal to 65535"},
		{"holdTime 2s", peer(", holdTime: 2s"), "spec.holdTime", "0s or between 3s and 65535s"},
		{"holdTime fractional", peer(", holdTime: 3500ms"), "spec.holdTime", "whole seconds"},
		{"holdTime not a duration", peer(", holdTime: soon"), "spec.holdTime", "should match"},
		{"keepalive above hold", peer(", holdTime: 90s, keepaliveTime: 100s"), "spec", "keepaliveTime must not exceed holdTime"},
		{"keepalive above default hold", peer(", keepaliveTime: 2m"), "spec", "keepaliveTime must not exceed holdTime"},
		{"keepalive with hold 0", peer(", holdTime: 0s, keepaliveTime: 30s"), "spec", "keepaliveTime must not exceed holdTime"},
		{"keepalive 0 with hold", peer(", keepaliveTime: 0s"), "spec", "set holdTime 0s too"},
		{"routerID zero", peer(", routerID: 0.0.0.0"), "spec.routerID", "non-zero IPv4 address"},
		{"connectTime 0", peer(", connectTime: 0s"), "spec.connectTime", "between 1s and 65535s"},
		{"sourceAddress other family", peer(`, sourceAddress: "2001:db8::11"`), "spec", "same family"},
		{"routerID IPv6", peer(`, routerID: "2001:db8::1"`), "spec.routerID", "IPv4 address"},
		{"ebgpMultihop 0", peer(", ebgpMultihop: 0"), "spec.ebgpMultihop", "greater than or equal to 1"},
		{"ebgpMultihop 256", peer(", ebgpMultihop: 256"), "spec.ebgpMultihop", "less than or equal to 255"},
		{"ebgpMultihop on iBGP", object("BGPPeer", "{address: 198.51.100.1, asn: 64500, localASN: 64500, ebgpMultihop: 2}"), "spec", "eBGP sessions only"},
		{"password ref without name", peer(", passwordSecretRef: {key: pw}"), "spec.passwordSecretRef.name", "Required"},
		{"restartTime too long", peer(", gracefulRestart: {enabled: true, restartTime: 5000s}"), "spec.gracefulRestart.restartTime", "between 1s and 4095s"},

		// BGPAnnouncement.
		{"community number too big", object("BGPAnnouncement", `{communities: ["65536:1"]}`), "spec.communities[0]", "standard community 65000:100"},
		{"community unknown name", object("BGPAnnouncement", `{communities: [no-such]}`), "spec.communities[0]", "well-known name"},
		{"large community with two parts", object("BGPAnnouncement", `{communities: ["large:1:2"]}`), "spec.communities[0]", "large community"},
		{"large community above 32 bits", object("BGPAnnouncement", `{communities: ["large:4294967296:1:1"]}`), "spec.communities[0]", "large community"},
		{"aggregationLength 0", object("BGPAnnouncement", "{aggregationLength: 0}"), "spec.aggregationLength", "greater than or equal to 1"},
		{"aggregationLength 33", object("BGPAnnouncement", "{aggregationLength: 33}"), "spec.aggregationLength", "less than or equal to 32"},
		{"aggregationLengthV6 129", object("BGPAnnouncement", "{aggregationLengthV6: 129}"), "spec.aggregationLengthV6", "less than or equal to 128"},
		{"localPref negative", object("BGPAnnouncement", "{localPref: -1}"), "spec.localPref", "greater than or equal to 0"},
		{"peers list and selector", object("BGPAnnouncement", "{peers: [a], peerSelector: {}}"), "spec", "peers or peerSelector, not both"},
		{"pools list and selector", object("BGPAnnouncement", "{ipPools: [a], ipPoolSelector: {}}"), "spec", "ipPools or ipPoolSelector, not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := env.Client.Create(t.Context(), mustYAML(t, tt.obj), client.DryRunAll)
			if err == nil {
				t.Fatalf("accepted %s; want it refused on %s", tt.obj, tt.field)
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("got %v; want an Invalid error", err)
			}
			causes := causesOf(t, err)
			for _, c := range causes {
				field, msg, _ := strings.Cut(c, ": ")
				if field == tt.field && strings.Contains(msg, tt.msg) {
					return
				}
			}
			t.Errorf("no cause on %s containing %q; causes:\n%s", tt.field, tt.msg, strings.Join(causes, "\n"))
		})
	}
}
