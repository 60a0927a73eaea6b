package bgp

import (
	"maps"
	"net/netip"
	"slices"
)

// applied is what the GoBGP server holds, as far as the speaker knows: it is
// updated after every operation that succeeds, so that the next Apply retries
// exactly what failed.
type applied struct {
	started  bool
	routerID netip.Addr
	// vrfs holds the VRF id of every peer name that has a VRF.
	vrfs map[string]uint32
	// peers holds the neighbor configured for a peer name.
	peers map[string]Peer
	// paths holds the paths in each VRF.
	paths map[string]map[netip.Prefix]Path
}

func newApplied() applied {
	return applied{
		vrfs:  map[string]uint32{},
		peers: map[string]Peer{},
		paths: map[string]map[netip.Prefix]Path{},
	}
}

type opKind int

const (
	opDeletePeer opKind = iota
	opDeleteVRF
	opAddVRF
	opDeletePath
	opAddPath
	opAddPeer
)

func (k opKind) String() string {
	return [...]string{"delete peer", "delete VRF", "add VRF", "withdraw path", "announce path", "add peer"}[k]
}

// op is one change to the GoBGP server.
type op struct {
	kind opKind
	// name is the peer name, which also names its VRF.
	name string
	// peer is the neighbor to add or delete.
	peer Peer
	// path is the path to announce, or the one to withdraw as it was
	// announced.
	path Path
}

// plan returns the operations that turn cur into want, in an order that
// works: neighbors are deleted before any is added (two peers may swap
// addresses), a VRF exists before its neighbor and paths, and a VRF is
// deleted only once its neighbor is gone. A neighbor whose settings did not
// change is not touched, and neither is a path that did not change.
func plan(cur applied, want desired) []op {
	var ops []op
	for _, name := range slices.Sorted(maps.Keys(cur.peers)) {
		if p, ok := want.peers[name]; !ok || p != cur.peers[name] {
			ops = append(ops, op{kind: opDeletePeer, name: name, peer: cur.peers[name]})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cur.vrfs)) {
		if _, ok := want.peers[name]; !ok {
			ops = append(ops, op{kind: opDeleteVRF, name: name})
		}
	}
	names := slices.Sorted(maps.Keys(want.peers))
	for _, name := range names {
		if _, ok := cur.vrfs[name]; !ok {
			ops = append(ops, op{kind: opAddVRF, name: name})
		}
	}
	for _, name := range names {
		have, wanted := cur.paths[name], want.paths[name]
		for _, prefix := range slices.SortedFunc(maps.Keys(have), comparePrefix) {
			if _, ok := wanted[prefix]; !ok {
				ops = append(ops, op{kind: opDeletePath, name: name, path: have[prefix]})
			}
		}
		for _, prefix := range slices.SortedFunc(maps.Keys(wanted), comparePrefix) {
			if old, ok := have[prefix]; !ok || !samePath(old, wanted[prefix]) {
				ops = append(ops, op{kind: opAddPath, name: name, path: wanted[prefix]})
			}
		}
	}
	for _, name := range names {
		if p, ok := cur.peers[name]; !ok || p != want.peers[name] {
			ops = append(ops, op{kind: opAddPeer, name: name, peer: want.peers[name]})
		}
	}
	return ops
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// globalASN picks the AS of the GoBGP server itself: the local AS of the
// first peer by name. It is chosen when the server starts and never reaches
// the wire, because every neighbor sets its own local AS, so a later change
// does not restart the server.
func globalASN(want desired) uint32 {
	names := slices.Sorted(maps.Keys(want.peers))
	if len(names) == 0 {
		return defaultLocalASN
	}
	return want.peers[names[0]].LocalASN
}
