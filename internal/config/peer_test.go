package config_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/internal/config"
)

func TestParsePeers(t *testing.T) {
	const speakerNS = "ironlb-system"
	good := peer("good", "198.51.100.2", 64500, 64501)
	router := peer("router", "198.51.100.1", 64500, 64512)
	spec := func(f func(*v1alpha1.BGPPeerSpec)) v1alpha1.BGPPeer {
		return with(router, func(p *v1alpha1.BGPPeer) { f(&p.Spec) })
	}
	// timers checks the timers of the peer "router".
	timers := func(hold, keepalive, connect time.Duration) func(*testing.T, *config.Config) {
		return func(t *testing.T, c *config.Config) {
			p := c.Peers["router"]
			if p.HoldTime != hold || p.KeepaliveTime != keepalive || p.ConnectTime != connect {
				t.Errorf("hold, keepalive, connect = %v, %v, %v; want %v, %v, %v", p.HoldTime, p.KeepaliveTime, p.ConnectTime, hold, keepalive, connect)
			}
		}
	}
	password := func(want string) func(*testing.T, *config.Config) {
		return func(t *testing.T, c *config.Config) {
			if got := c.Peers["router"].Password; got != want {
				t.Errorf("Password = %q, want %q", got, want)
			}
		}
	}
	ref := func(ns, name, key string) v1alpha1.BGPPeer {
		return spec(func(s *v1alpha1.BGPPeerSpec) {
			s.PasswordSecretRef = &v1alpha1.SecretKeyRef{Namespace: ns, Name: name, Key: key}
		})
	}
	secrets := []corev1.Secret{
		secret(speakerNS, "bgp", map[string]string{"password": "s3cret", "router2": "other", "empty": ""}),
		secret("default", "bgp", map[string]string{"password": "wrong-namespace"}),
		secret(speakerNS, "long", map[string]string{"password": strings.Repeat("x", 81), "max": strings.Repeat("x", 80)}),
	}
	both := []string{"good", "router"}
	onlyGood := []string{"good"}
	bad := func(field, msg string) []config.Problem {
		return []config.Problem{problem(config.KindBGPPeer, "router", field, invalid, msg)}
	}

	runParse(t, []parseCase{{
		name: "defaults",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{router}},
		want: want{peers: []string{"router"}},
		check: func(t *testing.T, c *config.Config) {
			want := &config.Peer{
				Name:            "router",
				Address:         netip.MustParseAddr("198.51.100.1"),
				ASN:             64500,
				LocalASN:        64512,
				Port:            179,
				HoldTime:        90 * time.Second,
				KeepaliveTime:   30 * time.Second,
				ConnectTime:     5 * time.Second,
				GracefulRestart: config.GracefulRestart{RestartTime: 120 * time.Second},
			}
			if diff := cmp.Diff(want, c.Peers["router"], cmpOpts); diff != "" {
				t.Errorf("peer (-want +got):\n%s", diff)
			}
			if c.Peers["router"].IBGP() || !c.Peers["router"].SelectsNode(map[string]string{"any": "node"}) {
				t.Errorf("want an eBGP peer on every node")
			}
		},
	}, {
		name: "every field set",
		in: config.Input{Peers: []v1alpha1.BGPPeer{spec(func(s *v1alpha1.BGPPeerSpec) {
			s.Address, s.ASN, s.LocalASN = "2001:db8:100::1", 4200000000, 4200000000
			s.Port = 1179
			s.SourceAddress = "2001:db8:100::11"
			s.RouterID = "10.0.0.1"
			s.HoldTime, s.KeepaliveTime, s.ConnectTime = dur("9s"), dur("2s"), dur("1m")
			s.NodeSelector = sel(map[string]string{"bgp": "yes"})
			s.GracefulRestart = &v1alpha1.GracefulRestart{Enabled: true, RestartTime: dur("300s")}
		})}},
		want: want{peers: []string{"router"}},
		check: func(t *testing.T, c *config.Config) {
			want := &config.Peer{
				Name:            "router",
				Address:         netip.MustParseAddr("2001:db8:100::1"),
				ASN:             4200000000,
				LocalASN:        4200000000,
				Port:            1179,
				SourceAddress:   netip.MustParseAddr("2001:db8:100::11"),
				RouterID:        netip.MustParseAddr("10.0.0.1"),
				HoldTime:        9 * time.Second,
				KeepaliveTime:   2 * time.Second,
				ConnectTime:     time.Minute,
				NodeSelector:    mustSelector("bgp=yes"),
				GracefulRestart: config.GracefulRestart{Enabled: true, RestartTime: 300 * time.Second},
			}
			if diff := cmp.Diff(want, c.Peers["router"], cmpOpts); diff != "" {
				t.Errorf("peer (-want +got):\n%s", diff)
			}
			if p := c.Peers["router"]; !p.IBGP() || p.SelectsNode(nil) {
				t.Errorf("want an iBGP peer on bgp=yes nodes only")
			}
		},
	}, {
		name:  "keepalive is a third of hold",
		in:    config.Input{Peers: []v1alpha1.BGPPeer{spec(func(s *v1alpha1.BGPPeerSpec) { s.HoldTime = dur("60s") })}},
		want:  want{peers: []string{"router"}},
		check: timers(60*time.Second, 20*time.Second, 5*time.Second),
	}, {
		name:  "keepalive is truncated to whole seconds",
		in:    config.Input{Peers: []v1alpha1.BGPPeer{spec(func(s *v1alpha1.BGPPeerSpec) { s.HoldTime = dur("10s") })}},
		want:  want{peers: []string{"router"}},
		check: timers(10*time.Second, 3*time.Second, 5*time.Second),
	}, {
		name:  "shortest hold",
		in:    config.Input{Peers: []v1alpha1.BGPPeer{spec(func(s *v1alpha1.BGPPeerSpec) { s.HoldTime = dur("3s") })}},
		want:  want{peers: []string{"router"}},
		check: timers(3*time.Second, time.Second, 5*time.Second),
	}, {
		name:  "hold 0 gives keepalive 0",
		in:    config.Input{Peers: []v1alpha1.BGPPeer{spec(func(s *v1alpha1.BGPPeerSpec) { s.HoldTime = dur("0s") })}},
		want:  want{peers: []string{"router"}},
		check: timers(0, 0, 5*time.Second),
	}, {
		name: "explicit keepalive, equal to hold",
		in: config.Input{Peers: []v1alpha1.BGPPeer{spec(func(s *v1alpha1.BGPPeerSpec) {
			s.HoldTime, s.KeepaliveTime, s.ConnectTime = dur("30s"), dur("30s"), dur("65535s")
		})}},
		want:  want{peers: []string{"router"}},
		check: timers(30*time.Second, 30*time.Second, 65535*time.Second),
	}, {
		name: "whole milliseconds are accepted as CEL accepts them, then truncated",
		in: config.Input{Peers: []v1alpha1.BGPPeer{spec(func(s *v1alpha1.BGPPeerSpec) {
			s.HoldTime = &metav1.Duration{Duration: 30*time.Second + 500*time.Microsecond}
		})}},
		want:  want{peers: []string{"router"}},
		check: timers(30*time.Second, 10*time.Second, 5*time.Second),
	}, {
		name: "keepalive above hold",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.HoldTime, s.KeepaliveTime = dur("30s"), dur("31s") })}},
		want: want{peers: onlyGood, problems: bad("spec.keepaliveTime", "31s must not exceed holdTime 30s")},
	}, {
		name: "keepalive above the default hold",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.KeepaliveTime = dur("91s") })}},
		want: want{peers: onlyGood, problems: bad("spec.keepaliveTime", "91s must not exceed holdTime 90s")},
	}, {
		name: "keepalive with hold 0",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.HoldTime, s.KeepaliveTime = dur("0s"), dur("10s") })}},
		want: want{peers: onlyGood, problems: bad("spec.keepaliveTime", "with holdTime 0s it must be 0s")},
	}, {
		name: "keepalive 0 with a hold timer",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.KeepaliveTime = dur("0s") })}},
		want: want{peers: onlyGood, problems: bad("spec.keepaliveTime", "set holdTime 0s too")},
	}, {
		name: "hold of 2s",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.HoldTime = dur("2s") })}},
		want: want{peers: onlyGood, problems: bad("spec.holdTime", "must be 0s or between 3s and 65535s")},
	}, {
		name: "hold too long",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.HoldTime = dur("65536s") })}},
		want: want{peers: onlyGood, problems: bad("spec.holdTime", "65536s must be between 0s and 65535s")},
	}, {
		name: "hold not whole seconds",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.HoldTime = dur("4500ms") })}},
		want: want{peers: onlyGood, problems: bad("spec.holdTime", "4.5s must be whole seconds")},
	}, {
		name: "connect time 0",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.ConnectTime = dur("0s") })}},
		want: want{peers: onlyGood, problems: bad("spec.connectTime", "must be between 1s and")},
	}, {
		name: "ASN 0",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.ASN = 0 })}},
		want: want{peers: onlyGood, problems: bad("spec.asn", "0 is not an AS number: must be between 1 and 4294967295")},
	}, {
		name: "local ASN above 32 bits",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.LocalASN = 1 << 32 })}},
		want: want{peers: onlyGood, problems: bad("spec.localASN", "4294967296 is not an AS number")},
	}, {
		name: "address not an IP",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.Address = "198.51.100.300" })}},
		want: want{peers: onlyGood, problems: bad("spec.address", "must be an IPv4 or IPv6 address such as 198.51.100.1")},
	}, {
		name: "address unspecified",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.Address = "::" })}},
		want: want{peers: onlyGood, problems: bad("spec.address", ":: is the unspecified address")},
	}, {
		name: "address with zone",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.Address = "fe80::1%eth0" })}},
		want: want{peers: onlyGood, problems: bad("spec.address", "has a zone")},
	}, {
		name: "source address of the other family",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.SourceAddress = "2001:db8::11" })}},
		want: want{peers: onlyGood, problems: bad("spec.sourceAddress", "2001:db8::11 must be of the same family as address 198.51.100.1")},
	}, {
		name: "router ID not IPv4",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.RouterID = "2001:db8::1" })}},
		want: want{peers: onlyGood, problems: bad("spec.routerID", "must be an IPv4 address (a BGP identifier is 32 bits)")},
	}, {
		name: "router ID zero",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.RouterID = "0.0.0.0" })}},
		want: want{peers: onlyGood, problems: bad("spec.routerID", "non-zero (RFC 6286)")},
	}, {
		name: "port 0 means the default",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{spec(func(s *v1alpha1.BGPPeerSpec) { s.Port = 0 })}},
		want: want{peers: []string{"router"}},
		check: func(t *testing.T, c *config.Config) {
			if p := c.Peers["router"].Port; p != 179 {
				t.Errorf("Port = %d, want 179", p)
			}
		},
	}, {
		name: "port too high",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.Port = 65536 })}},
		want: want{peers: onlyGood, problems: bad("spec.port", "65536 is not a port")},
	}, {
		name: "eBGP multihop",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{spec(func(s *v1alpha1.BGPPeerSpec) { s.EBGPMultihop = ptr[int32](2) })}},
		want: want{peers: []string{"router"}},
		check: func(t *testing.T, c *config.Config) {
			if m := c.Peers["router"].EBGPMultihop; m != 2 {
				t.Errorf("EBGPMultihop = %d, want 2", m)
			}
		},
	}, {
		name: "multihop on iBGP",
		in: config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) {
			s.LocalASN = s.ASN
			s.EBGPMultihop = ptr[int32](2)
		})}},
		want: want{peers: onlyGood, problems: bad("spec.ebgpMultihop", "applies to eBGP sessions only")},
	}, {
		name: "multihop above 255",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) { s.EBGPMultihop = ptr[int32](256) })}},
		want: want{peers: onlyGood, problems: bad("spec.ebgpMultihop", "256 must be between 1 and 255")},
	}, {
		name: "restart time above 12 bits",
		in: config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) {
			s.GracefulRestart = &v1alpha1.GracefulRestart{Enabled: true, RestartTime: dur("4096s")}
		})}},
		want: want{peers: onlyGood, problems: bad("spec.gracefulRestart.restartTime", "4096s must be between 1s and 4095s")},
	}, {
		name: "graceful restart with the default time",
		in: config.Input{Peers: []v1alpha1.BGPPeer{spec(func(s *v1alpha1.BGPPeerSpec) {
			s.GracefulRestart = &v1alpha1.GracefulRestart{Enabled: true}
		})}},
		want: want{peers: []string{"router"}},
		check: func(t *testing.T, c *config.Config) {
			if diff := cmp.Diff(config.GracefulRestart{Enabled: true, RestartTime: 120 * time.Second}, c.Peers["router"].GracefulRestart); diff != "" {
				t.Errorf("GracefulRestart (-want +got):\n%s", diff)
			}
		},
	}, {
		name: "bad nodeSelector",
		in: config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) {
			s.NodeSelector = sel(nil, requirement("rack", "Gt", "1"))
		})}},
		want: want{peers: onlyGood, problems: bad("spec.nodeSelector", `"Gt" is not a valid label selector operator`)},
	}, {
		name: "several problems at once",
		in: config.Input{Peers: []v1alpha1.BGPPeer{good, spec(func(s *v1alpha1.BGPPeerSpec) {
			s.ASN, s.Address, s.ConnectTime = 0, "nope", dur("1.5s")
		})}},
		want: want{peers: onlyGood, problems: []config.Problem{
			problem(config.KindBGPPeer, "router", "spec.address", invalid, ""),
			problem(config.KindBGPPeer, "router", "spec.asn", invalid, ""),
			problem(config.KindBGPPeer, "router", "spec.connectTime", invalid, "whole seconds"),
		}},
	}, {
		name:  "password from the speaker's namespace, default key",
		in:    config.Input{SecretNamespace: speakerNS, Secrets: secrets, Peers: []v1alpha1.BGPPeer{ref("", "bgp", "")}},
		want:  want{peers: []string{"router"}},
		check: password("s3cret"),
	}, {
		name:  "password from a named key, namespace spelled out",
		in:    config.Input{SecretNamespace: speakerNS, Secrets: secrets, Peers: []v1alpha1.BGPPeer{ref(speakerNS, "bgp", "router2")}},
		want:  want{peers: []string{"router"}},
		check: password("other"),
	}, {
		name:  "longest password",
		in:    config.Input{SecretNamespace: speakerNS, Secrets: secrets, Peers: []v1alpha1.BGPPeer{ref("", "long", "max")}},
		want:  want{peers: []string{"router"}},
		check: password(strings.Repeat("x", 80)),
	}, {
		name: "secret missing",
		in:   config.Input{SecretNamespace: speakerNS, Secrets: secrets, Peers: []v1alpha1.BGPPeer{good, ref("", "nope", "")}},
		want: want{peers: onlyGood, problems: []config.Problem{
			problem(config.KindBGPPeer, "router", "spec.passwordSecretRef", missing, "Secret ironlb-system/nope does not exist; the peer is not used"),
		}},
	}, {
		name: "key missing",
		in:   config.Input{SecretNamespace: speakerNS, Secrets: secrets, Peers: []v1alpha1.BGPPeer{good, ref("", "bgp", "router3")}},
		want: want{peers: onlyGood, problems: []config.Problem{
			problem(config.KindBGPPeer, "router", "spec.passwordSecretRef", missing, `Secret ironlb-system/bgp has no key "router3"`),
		}},
	}, {
		name: "the default namespace is the speaker's, not another with the same Secret name",
		in:   config.Input{SecretNamespace: "elsewhere", Secrets: secrets, Peers: []v1alpha1.BGPPeer{good, ref("", "bgp", "")}},
		want: want{peers: onlyGood, problems: []config.Problem{
			problem(config.KindBGPPeer, "router", "spec.passwordSecretRef", missing, "Secret elsewhere/bgp does not exist"),
		}},
	}, {
		name: "a Secret outside the speaker's namespace is out of reach, even when given",
		in:   config.Input{SecretNamespace: speakerNS, Secrets: secrets, Peers: []v1alpha1.BGPPeer{good, ref("default", "bgp", "")}},
		want: want{peers: onlyGood, problems: []config.Problem{
			problem(config.KindBGPPeer, "router", "spec.passwordSecretRef", missing, `the speaker reads Secrets in its own namespace "ironlb-system" only`),
		}},
	}, {
		name: "no namespace in the reference and none given for the speaker",
		in:   config.Input{Secrets: secrets, Peers: []v1alpha1.BGPPeer{good, ref("", "bgp", "")}},
		want: want{peers: onlyGood, problems: []config.Problem{
			problem(config.KindBGPPeer, "router", "spec.passwordSecretRef", missing, "names no namespace"),
		}},
	}, {
		name: "empty password",
		in:   config.Input{SecretNamespace: speakerNS, Secrets: secrets, Peers: []v1alpha1.BGPPeer{good, ref("", "bgp", "empty")}},
		want: want{peers: onlyGood, problems: bad("spec.passwordSecretRef", `key "empty" of Secret ironlb-system/bgp is empty`)},
	}, {
		name: "password too long for TCP-MD5",
		in:   config.Input{SecretNamespace: speakerNS, Secrets: secrets, Peers: []v1alpha1.BGPPeer{good, ref("", "long", "")}},
		want: want{peers: onlyGood, problems: bad("spec.passwordSecretRef", "holds 81 bytes; TCP-MD5 on Linux takes at most 80")},
	}, {
		name: "valid peers regardless of order",
		in:   config.Input{Peers: []v1alpha1.BGPPeer{router, good}},
		want: want{peers: both},
	}})
}
