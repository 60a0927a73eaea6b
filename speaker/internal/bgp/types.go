package bgp

import (
	"errors"
	"net/netip"
	"time"

	"k8s.io/utils/clock"
)

var (
	// ErrInvalid marks a Desired state that Apply refuses as a whole:
	// applying the same input again cannot succeed.
	ErrInvalid = errors.New("invalid BGP configuration")
	// ErrStopped is returned by Apply once Run has returned.
	ErrStopped = errors.New("BGP speaker stopped")
)

// Peer is one BGP session to a router.
type Peer struct {
	// Name is the BGPPeer object name; it identifies the peer.
	Name string
	// Address is the router's address, IPv4 or IPv6. Two peers cannot
	// share an address (GoBGP keys neighbors by address).
	Address netip.Addr
	// Port is the router's TCP port; 0 means 179.
	Port uint16
	// ASN is the router's AS, LocalASN ours on this session. Equal values
	// make the session iBGP.
	ASN, LocalASN uint32
	// SourceAddress is the address we connect from; the zero Addr lets the
	// kernel choose.
	SourceAddress netip.Addr
	// HoldTime, KeepaliveTime and ConnectTime are whole seconds. A zero
	// KeepaliveTime means a third of HoldTime. GoBGP v3 cannot offer a hold
	// time of 0 (it treats 0 as unset and offers 90 s); a router that offers
	// 0 still gets a session without keepalives, since the lower value wins.
	// A zero ConnectTime means 5 s; it is GoBGP's connect retry and the
	// first backoff delay.
	HoldTime, KeepaliveTime, ConnectTime time.Duration
	// EBGPMultihop is the TTL of an eBGP session; 0 leaves GoBGP's TTL of 1.
	// It is ignored on iBGP sessions.
	EBGPMultihop uint8
	// Password is the TCP-MD5 key (RFC 2385); empty means none. It is never
	// logged.
	Password string
	// GracefulRestart advertises the capability (RFC 4724) for both unicast
	// families, so that routers keep our routes while the speaker restarts.
	GracefulRestart bool
	// RestartTime is the restart time we advertise; 0 means the hold time.
	RestartTime time.Duration
}

// Path is one route as one peer must receive it.
type Path struct {
	// Prefix is a /32, a /128 or an aggregate.
	Prefix netip.Prefix
	// NextHop is this node's address of the prefix's family; IPv6 routes
	// over an IPv4 session carry the node's IPv6 address.
	NextHop netip.Addr
	// Communities are RFC 1997 communities; well-known ones are plain
	// values such as 0xFFFFFF01 (NO_EXPORT).
	Communities []uint32
	// LargeCommunities are RFC 8092 communities.
	LargeCommunities [][3]uint32
	// LocalPref is sent on iBGP sessions only; 0 leaves GoBGP's default 100.
	LocalPref uint32
}

// Desired is everything the speaker must announce.
type Desired struct {
	// RouterID is the BGP identifier, an IPv4 address.
	RouterID netip.Addr
	// Peers are the sessions to keep.
	Peers []Peer
	// Paths holds, by peer Name, exactly what that peer must receive.
	Paths map[string][]Path
}

// Session states, as RFC 4271 §8 names them.
const (
	StateIdle        = "Idle"
	StateConnect     = "Connect"
	StateActive      = "Active"
	StateOpenSent    = "OpenSent"
	StateOpenConfirm = "OpenConfirm"
	StateEstablished = "Established"
)

// Session is the observed state of one peer's session.
type Session struct {
	Peer    string
	Address netip.Addr
	// State is one of the State constants.
	State string
	// Since is when State last changed, by the speaker's clock.
	Since time.Time
	// PrefixesSent counts the prefixes the peer holds from us; 0 unless
	// Established.
	PrefixesSent int
	// UpdatesSent counts the UPDATE messages sent on the current session;
	// 0 unless Established.
	UpdatesSent uint64
	// LastError is the last reason the session failed or could not open
	// (NOTIFICATION, hold timer, dial error), kept after recovery.
	LastError string
	// Attempts counts the sessions opened (TCP connected, OPEN sent) since
	// the peer was first configured; it only grows.
	Attempts int
	// Failures counts the consecutive failed sessions that drive the
	// backoff.
	Failures int
	// NextAttempt is when a peer held back by the backoff is enabled again;
	// zero when it is not held back.
	NextAttempt time.Time
}

// Options tunes a Speaker. The zero value is ready to use.
type Options struct {
	// Clock times the backoff and Session.Since; nil means the real clock.
	Clock clock.Clock
	// MaxBackoff caps the delay before a failed peer is enabled again;
	// zero or negative means 2 minutes.
	MaxBackoff time.Duration
	// StablePeriod is how long a session must stay Established before its
	// failure starts the backoff from the beginning again; zero or negative
	// means 60 s.
	StablePeriod time.Duration
	// Jitter returns the delay actually waited for a computed backoff
	// delay; nil adds up to 10 %, so that the nodes of a cluster do not
	// reconnect in step.
	Jitter func(time.Duration) time.Duration
}

const (
	defaultConnectTime  = 5 * time.Second
	defaultMaxBackoff   = 2 * time.Minute
	defaultStablePeriod = time.Minute
	// defaultLocalASN is the global AS of the GoBGP server when there is no
	// peer to take one from; every neighbor sets its own local AS, so the
	// global one never reaches the wire.
	defaultLocalASN = 64512
)
