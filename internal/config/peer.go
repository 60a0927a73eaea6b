package config

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/ironlb/ironlb/api/v1alpha1"
)

// Defaults of a BGPPeer, as in the CRD.
const (
	DefaultPort        = 179
	DefaultHoldTime    = 90 * time.Second
	DefaultConnectTime = 5 * time.Second
	DefaultRestartTime = 120 * time.Second
	// DefaultPasswordKey is the Secret key of a passwordSecretRef that names
	// none.
	DefaultPasswordKey = "password"
)

// maxPasswordLen is the longest TCP-MD5 key Linux accepts
// (TCP_MD5SIG_MAXKEYLEN); a longer one fails setsockopt on every node.
const maxPasswordLen = 80

// Peer is a valid BGPPeer, with its defaults applied and its password read.
type Peer struct {
	Name    string
	Address netip.Addr
	// ASN is the router's AS, LocalASN the nodes' AS on this session.
	ASN, LocalASN uint32
	Port          uint16
	// SourceAddress is the zero Addr when unset: the node's address on the
	// route to the router.
	SourceAddress netip.Addr
	// RouterID is the zero Addr when unset: the node's IPv4 InternalIP.
	RouterID netip.Addr
	// HoldTime defaults to 90s; 0 means no keepalives and no hold timer.
	// KeepaliveTime defaults to a third of HoldTime, truncated to whole
	// seconds (the RFC 4271 §10 suggestion), so hold 0 gives keepalive 0.
	// ConnectTime defaults to 5s. All are whole seconds, as BGP carries them.
	HoldTime, KeepaliveTime, ConnectTime time.Duration
	// EBGPMultihop is the TTL of an eBGP session; 0 means not set.
	EBGPMultihop uint8
	// Password is the TCP-MD5 password (RFC 2385); empty when none is set.
	// Do not log a Peer.
	Password string
	// NodeSelector limits the nodes that peer; nil means every node.
	NodeSelector    labels.Selector
	GracefulRestart GracefulRestart
}

// GracefulRestart is a peer's graceful restart setting (RFC 4724).
type GracefulRestart struct {
	Enabled bool
	// RestartTime defaults to 120s.
	RestartTime time.Duration
}

// IBGP reports whether the session is internal BGP (the same AS on both
// ends).
func (p *Peer) IBGP() bool { return p.ASN == p.LocalASN }

// SelectsNode reports whether a node with these labels peers with p.
func (p *Peer) SelectsNode(nodeLabels map[string]string) bool {
	return matches(p.NodeSelector, nodeLabels)
}

func (p *parser) parsePeers() {
	objs := slices.Clone(p.in.Peers)
	slices.SortFunc(objs, func(a, b v1alpha1.BGPPeer) int { return cmp.Compare(a.Name, b.Name) })
	for i := range objs {
		obj := &objs[i]
		o := p.object(KindBGPPeer, obj.Name)
		peer := p.parsePeer(o, obj)
		if o.invalid {
			p.peers.why[obj.Name] = "it is invalid"
			continue
		}
		p.cfg.Peers[obj.Name] = peer
		p.peers.valid[obj.Name] = obj.Labels
	}
}

func (p *parser) parsePeer(o *problems, obj *v1alpha1.BGPPeer) *Peer {
	spec := &obj.Spec
	peer := &Peer{Name: obj.Name, Port: DefaultPort}

	peer.Address = peerAddr(o, "spec.address", spec.Address, "an IPv4 or IPv6 address such as 198.51.100.1 or 2001:db8::1")
	peer.ASN = asn(o, "spec.asn", spec.ASN)
	peer.LocalASN = asn(o, "spec.localASN", spec.LocalASN)
	switch {
	case spec.Port == 0: // unset: the API server defaults it, a test may not
	case spec.Port < 1 || spec.Port > 65535:
		o.invalidf("spec.port", "%d is not a port: must be between 1 and 65535 (default %d)", spec.Port, DefaultPort)
	default:
		peer.Port = uint16(spec.Port)
	}
	if spec.SourceAddress != "" {
		peer.SourceAddress = peerAddr(o, "spec.sourceAddress", spec.SourceAddress, "an IPv4 or IPv6 address")
		if peer.SourceAddress.IsValid() && peer.Address.IsValid() && peer.SourceAddress.Is4() != peer.Address.Is4() {
			o.invalidf("spec.sourceAddress", "%s must be of the same family as address %s", peer.SourceAddress, peer.Address)
		}
	}
	if spec.RouterID != "" {
		// RFC 6286 §2.1: a BGP identifier is a non-zero 32-bit number.
		a, err := parseAddr(spec.RouterID)
		switch {
		case err != nil || !a.Is4():
			o.invalidf("spec.routerID", "%q must be an IPv4 address (a BGP identifier is 32 bits)", spec.RouterID)
		case a.IsUnspecified():
			o.invalidf("spec.routerID", "0.0.0.0 is not a BGP identifier: it must be non-zero (RFC 6286)")
		default:
			peer.RouterID = a
		}
	}

	// Timers mirror the CEL rules, including that they compare whole
	// milliseconds: BGP carries seconds, so what is left is truncated.
	hold := seconds(o, "spec.holdTime", spec.HoldTime, DefaultHoldTime, 0, 65535*time.Second)
	if hold > 0 && hold < 3*time.Second {
		o.invalidf("spec.holdTime", "%s must be 0s or between 3s and 65535s (RFC 4271 §4.2)", secs(hold))
	}
	peer.HoldTime = hold.Truncate(time.Second)
	peer.KeepaliveTime = (peer.HoldTime / 3).Truncate(time.Second)
	if spec.KeepaliveTime != nil {
		keep := seconds(o, "spec.keepaliveTime", spec.KeepaliveTime, 0, 0, 65535*time.Second)
		if keep > hold {
			o.invalidf("spec.keepaliveTime", "%s must not exceed holdTime %s; with holdTime 0s it must be 0s", secs(keep), secs(hold))
		}
		if keep == 0 && hold != 0 {
			// No keepalives while the router holds us to a timer: the
			// session would drop every holdTime.
			o.invalidf("spec.keepaliveTime", "0s sends no keepalives, so the router would drop the session after holdTime %s: set holdTime 0s too, or a keepalive", secs(hold))
		}
		peer.KeepaliveTime = keep.Truncate(time.Second)
	}
	peer.ConnectTime = seconds(o, "spec.connectTime", spec.ConnectTime, DefaultConnectTime, time.Second, 65535*time.Second).Truncate(time.Second)

	if m := spec.EBGPMultihop; m != nil {
		switch {
		case *m < 1 || *m > 255:
			o.invalidf("spec.ebgpMultihop", "%d must be between 1 and 255 (a TTL)", *m)
		case spec.ASN == spec.LocalASN:
			o.invalidf("spec.ebgpMultihop", "applies to eBGP sessions only: asn equals localASN here, which makes this iBGP")
		default:
			peer.EBGPMultihop = uint8(*m)
		}
	}
	peer.GracefulRestart.RestartTime = DefaultRestartTime
	if gr := spec.GracefulRestart; gr != nil {
		peer.GracefulRestart.Enabled = gr.Enabled
		peer.GracefulRestart.RestartTime = seconds(o, "spec.gracefulRestart.restartTime", gr.RestartTime, DefaultRestartTime, time.Second, 4095*time.Second).Truncate(time.Second)
	}
	peer.NodeSelector, _ = selector(o, "spec.nodeSelector", spec.NodeSelector)
	if ref := spec.PasswordSecretRef; ref != nil {
		peer.Password = p.password(o, ref)
	}
	return peer
}

// peerAddr parses a peer or source address: an IP, not unspecified.
func peerAddr(o *problems, field, s, want string) netip.Addr {
	a, err := parseAddr(s)
	switch {
	case err != nil:
		o.invalidf(field, "must be %s: %v", want, err)
	case a.IsUnspecified():
		o.invalidf(field, "%s is the unspecified address: must be %s", a, want)
	}
	return a
}

func asn(o *problems, field string, v int64) uint32 {
	// RFC 7607: AS 0 is reserved and must not be used on a session.
	if v < 1 || v > 4294967295 {
		o.invalidf(field, "%d is not an AS number: must be between 1 and 4294967295", v)
		return 0
	}
	return uint32(v)
}

// seconds checks a duration field as its CEL rules do: lo <= d <= hi (0 is
// also allowed when hold-time-like fields say so, by the caller) and whole
// seconds as CEL's getMilliseconds() % 1000 sees them. Unset gives def.
func seconds(o *problems, field string, d *metav1.Duration, def, lo, hi time.Duration) time.Duration {
	if d == nil {
		return def
	}
	switch v := d.Duration; {
	case v < lo || v > hi:
		o.invalidf(field, "%s must be between %s and %s", secs(v), secs(lo), secs(hi))
	case v.Milliseconds()%1000 != 0:
		o.invalidf(field, "%s must be whole seconds, as BGP carries them", secs(v))
	}
	return d.Duration
}

// secs spells a duration as the CRD does, "90s" rather than "1m30s", when it
// is whole seconds.
func secs(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

// password reads a peer's password from its Secret. Only a Secret in the
// speaker's namespace counts, even when the caller (the controller, say) can
// read others: the speaker cannot, and both must reach the same verdict.
func (p *parser) password(o *problems, ref *v1alpha1.SecretKeyRef) string {
	const field = "spec.passwordSecretRef"
	const unused = "the peer is not used, because a session without its password would never establish"
	ns, key := cmp.Or(ref.Namespace, p.in.SecretNamespace), cmp.Or(ref.Key, DefaultPasswordKey)
	missing := func(format string, args ...any) string {
		o.invalid = true
		o.add(field, v1alpha1.ReasonMissingReference, fmt.Sprintf(format, args...)+"; "+unused)
		return ""
	}
	if ns == "" {
		return missing("Secret %q: passwordSecretRef names no namespace and the speaker's namespace is not known", ref.Name)
	}
	if p.in.SecretNamespace != "" && ns != p.in.SecretNamespace {
		return missing("Secret %s/%s is out of reach: the speaker reads Secrets in its own namespace %q only; move the Secret there and leave namespace empty",
			ns, ref.Name, p.in.SecretNamespace)
	}
	i := slices.IndexFunc(p.in.Secrets, func(s corev1.Secret) bool { return s.Namespace == ns && s.Name == ref.Name })
	if i < 0 {
		return missing("Secret %s/%s does not exist", ns, ref.Name)
	}
	v, ok := p.in.Secrets[i].Data[key]
	switch {
	case !ok:
		return missing("Secret %s/%s has no key %q", ns, ref.Name, key)
	case len(v) == 0:
		o.invalidf(field, "key %q of Secret %s/%s is empty: TCP-MD5 needs a password", key, ns, ref.Name)
	case len(v) > maxPasswordLen:
		o.invalidf(field, "key %q of Secret %s/%s holds %d bytes; TCP-MD5 on Linux takes at most %d", key, ns, ref.Name, len(v), maxPasswordLen)
	}
	return string(v)
}
