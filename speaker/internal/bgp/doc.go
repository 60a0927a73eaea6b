// Package bgp announces routes to BGP peers with an embedded GoBGP server.
//
// It is the only package of ironlb that imports GoBGP, and no GoBGP type
// crosses its API: callers describe the whole desired state with plain values
// ([Desired]) and call [Speaker.Apply] as often as they like; the package
// diffs it against what GoBGP holds and changes only the difference.
//
// # Per-peer routes
//
// Every peer must receive exactly its own list of paths, and the same prefix
// may go to two peers with different communities or local preference. GoBGP
// keeps one best path per destination in its global RIB and, for peers that
// are not route-server clients, applies one global export policy; a soft
// reset out also never withdraws what a changed policy stops exporting. So
// the package does not use export policies: each peer is enslaved to a VRF of
// its own (route distinguisher and route target unique to the peer), and a
// peer's paths are added to its VRF with their final attributes. GoBGP turns
// them into VPN routes that only that peer's VRF imports, and converts them
// back to IPv4/IPv6 unicast (dropping the route target) when it sends them.
// Changing or withdrawing one peer's path is then an ordinary implicit or
// explicit withdraw that touches no other peer and never resets a session.
//
// Locally originated paths keep the next hop they are given on eBGP and iBGP
// sessions alike (GoBGP only rewrites an unspecified one), and IPv6 paths go
// over IPv4 sessions, and the reverse, in MP_REACH_NLRI: every session
// negotiates both unicast families.
//
// A global import policy rejects everything peers send: routers echo our
// routes back, and a learned path for one of our prefixes must never compete
// with ours in a peer's VRF.
//
// # Sessions
//
// A change to any session setting of a peer (address, port, ASNs, source,
// timers, multihop, password, graceful restart) deletes and re-adds that
// neighbor only: GoBGP applies them only when a session opens anyway. A
// change of router ID restarts the whole server.
//
// GoBGP retries a failed session at a fixed pace. The speaker watches session
// states and, when a session that reached OpenSent falls back, disables the
// peer and lets it connect again after a delay that doubles from the peer's
// ConnectTime up to [Options.MaxBackoff]. The count restarts only once a
// session has stayed Established for [Options.StablePeriod], so a router that
// accepts the session and then rejects our UPDATEs cannot cause a reconnect
// loop. Dial failures (no TCP connection) are left to GoBGP's connect retry,
// one SYN every ConnectTime or so. The peer is let go by adding it to GoBGP
// anew: an enabled neighbor would first idle a fixed 5 s.
package bgp
