package bgp

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// desired is a validated Desired in the form the planner compares: peers and
// paths keyed, addresses unmapped, timers in whole seconds with defaults
// applied, and communities sorted and unique (their order carries no meaning,
// so reordering them must not cause an UPDATE).
type desired struct {
	routerID netip.Addr
	peers    map[string]Peer
	paths    map[string]map[netip.Prefix]Path
}

const (
	maxTimer       = 65535 * time.Second // BGP carries timers in 16 bits
	maxRestartTime = 4095 * time.Second  // RFC 4724 §3: a 12-bit field
	minHoldTime    = 3 * time.Second     // RFC 4271 §4.2
	maxPasswordLen = 80                  // TCP_MD5SIG_MAXKEYLEN on Linux
)

// normalize validates d and returns every problem at once, wrapped in
// ErrInvalid.
func normalize(d Desired) (desired, error) {
	var errs []error
	out := desired{
		routerID: d.RouterID.Unmap(),
		peers:    make(map[string]Peer, len(d.Peers)),
		paths:    make(map[string]map[netip.Prefix]Path, len(d.Paths)),
	}
	if !out.routerID.Is4() || out.routerID.IsUnspecified() {
		errs = append(errs, fmt.Errorf("router ID %v is not a non-zero IPv4 address", d.RouterID))
	}
	byAddr := make(map[netip.Addr]string, len(d.Peers))
	for _, p := range d.Peers {
		p, err := normalizePeer(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := out.peers[p.Name]; dup {
			errs = append(errs, fmt.Errorf("peer %q is listed twice", p.Name))
			continue
		}
		if other, dup := byAddr[p.Address]; dup {
			errs = append(errs, fmt.Errorf("peers %q and %q have the same address %v", other, p.Name, p.Address))
			continue
		}
		byAddr[p.Address] = p.Name
		out.peers[p.Name] = p
	}
	for name, list := range d.Paths {
		if _, ok := out.peers[name]; !ok {
			if len(list) > 0 {
				errs = append(errs, fmt.Errorf("paths for peer %q, which is not in Peers", name))
			}
			continue
		}
		m := make(map[netip.Prefix]Path, len(list))
		for _, path := range list {
			path, err := normalizePath(path)
			if err != nil {
				errs = append(errs, fmt.Errorf("peer %q: %w", name, err))
				continue
			}
			if _, dup := m[path.Prefix]; dup {
				errs = append(errs, fmt.Errorf("peer %q: prefix %v is listed twice", name, path.Prefix))
				continue
			}
			m[path.Prefix] = path
		}
		out.paths[name] = m
	}
	if len(errs) > 0 {
		return desired{}, fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return out, nil
}

func normalizePeer(p Peer) (Peer, error) {
	if p.Name == "" {
		return p, fmt.Errorf("peer %v has no name", p.Address)
	}
	var errs []error
	p.Address = p.Address.Unmap()
	if !p.Address.IsValid() || p.Address.IsUnspecified() {
		errs = append(errs, fmt.Errorf("address %v is not a router address", p.Address))
	}
	if p.ASN == 0 || p.LocalASN == 0 {
		errs = append(errs, errors.New("ASN and LocalASN must not be 0"))
	}
	p.SourceAddress = p.SourceAddress.Unmap()
	if p.SourceAddress.IsUnspecified() {
		p.SourceAddress = netip.Addr{}
	}
	if p.SourceAddress.IsValid() && p.SourceAddress.Is4() != p.Address.Is4() {
		errs = append(errs, fmt.Errorf("source address %v and address %v are of different families", p.SourceAddress, p.Address))
	}
	if p.ConnectTime == 0 {
		p.ConnectTime = defaultConnectTime
	}
	for _, t := range []struct {
		name     string
		v        *time.Duration
		min, max time.Duration
	}{
		{"hold time", &p.HoldTime, 0, maxTimer},
		{"keepalive time", &p.KeepaliveTime, 0, maxTimer},
		{"connect time", &p.ConnectTime, time.Second, maxTimer},
		{"restart time", &p.RestartTime, 0, maxRestartTime},
	} {
		*t.v = t.v.Truncate(time.Second)
		if *t.v < t.min || *t.v > t.max {
			errs = append(errs, fmt.Errorf("%s %v is outside [%v, %v]", t.name, *t.v, t.min, t.max))
		}
	}
	if p.HoldTime > 0 && p.HoldTime < minHoldTime {
		errs = append(errs, fmt.Errorf("hold time %v must be 0 or at least %v", p.HoldTime, minHoldTime))
	}
	if len(p.Password) > maxPasswordLen {
		errs = append(errs, fmt.Errorf("password is longer than %d bytes", maxPasswordLen))
	}
	if len(errs) > 0 {
		return p, fmt.Errorf("peer %q: %w", p.Name, errors.Join(errs...))
	}
	return p, nil
}

func normalizePath(p Path) (Path, error) {
	if !p.Prefix.IsValid() || p.Prefix.Addr().Is4In6() || p.Prefix != p.Prefix.Masked() {
		return p, fmt.Errorf("prefix %v is not a masked IPv4 or IPv6 prefix", p.Prefix)
	}
	p.NextHop = p.NextHop.Unmap()
	if !p.NextHop.IsValid() || p.NextHop.IsUnspecified() || p.NextHop.Is4() != p.Prefix.Addr().Is4() {
		return p, fmt.Errorf("prefix %v: next hop %v is not an address of the same family", p.Prefix, p.NextHop)
	}
	p.Communities = slices.Compact(slices.Sorted(slices.Values(p.Communities)))
	large := slices.Clone(p.LargeCommunities)
	slices.SortFunc(large, compareLarge)
	p.LargeCommunities = slices.Compact(large)
	if len(p.Communities) == 0 {
		p.Communities = nil
	}
	if len(p.LargeCommunities) == 0 {
		p.LargeCommunities = nil
	}
	return p, nil
}

func compareLarge(a, b [3]uint32) int {
	for i := range a {
		if c := cmp.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

// samePath reports whether two normalized paths carry the same route.
func samePath(a, b Path) bool {
	return a.Prefix == b.Prefix && a.NextHop == b.NextHop && a.LocalPref == b.LocalPref &&
		slices.Equal(a.Communities, b.Communities) && slices.Equal(a.LargeCommunities, b.LargeCommunities)
}
