//go:build linux

package lab

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// birdTime is the `timeformat … iso long ms` of the lab's BIRD config.
const birdTime = "2006-01-02 15:04:05.000"

var (
	// 203.0.113.10/32   unicast [peer4_1 2026-11-25 21:32:09.132 from 198.51.100.11] * (100) [i]
	// The prefix is blank on the second and later routes of a prefix.
	birdRouteRE = regexp.MustCompile(`^(\S+)?\s+[a-z]+\s+\[(\S+) [^\]]*?(?: from (\S+))?\](\s+\*)?\s+\(\d+`)
	birdViaRE   = regexp.MustCompile(`^\s+via (\S+) on \S+`)
	birdAttrRE  = regexp.MustCompile(`^\s+BGP\.(\w+):\s*(.*)$`)
	birdPairRE  = regexp.MustCompile(`\(([^)]*)\)`)
)

// birdRoute is one route of `birdc show route … all`.
type birdRoute struct {
	prefix netip.Prefix
	path   Path
	vias   []netip.Addr
}

// parseBIRDRoutes parses the text of `show route [export P] all`.
func parseBIRDRoutes(out []byte) ([]birdRoute, error) {
	var routes []birdRoute
	var cur *birdRoute
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if m := birdRouteRE.FindStringSubmatch(line); m != nil {
			var prefix netip.Prefix
			if m[1] != "" {
				p, err := netip.ParsePrefix(m[1])
				if err != nil {
					return nil, fmt.Errorf("parse BIRD route %q: %w", line, err)
				}
				prefix = p
			} else if cur != nil {
				prefix = cur.prefix
			} else {
				return nil, fmt.Errorf("parse BIRD route %q: no prefix", line)
			}
			routes = append(routes, birdRoute{prefix: prefix})
			cur = &routes[len(routes)-1]
			cur.path.Best = m[4] != ""
			cur.path.Peer, _ = netip.ParseAddr(m[3])
			continue
		}
		if cur == nil {
			continue
		}
		if m := birdViaRE.FindStringSubmatch(line); m != nil {
			if a, err := netip.ParseAddr(m[1]); err == nil {
				cur.vias = append(cur.vias, a)
			}
			continue
		}
		if m := birdAttrRE.FindStringSubmatch(line); m != nil {
			setBIRDAttr(&cur.path, m[1], m[2])
		}
	}
	for i := range routes {
		r := &routes[i]
		if len(r.vias) > 0 {
			r.path.NextHop = r.vias[0]
		}
		// BIRD names the neighbour only when it is not the gateway.
		if !r.path.Peer.IsValid() {
			r.path.Peer = r.path.NextHop
		}
	}
	return routes, sc.Err()
}

func setBIRDAttr(p *Path, key, val string) {
	switch key {
	case "as_path":
		for _, f := range strings.Fields(val) {
			if n, err := strconv.ParseUint(f, 10, 32); err == nil {
				p.ASPath = append(p.ASPath, uint32(n))
			}
		}
	case "local_pref":
		if n, err := strconv.ParseUint(val, 10, 32); err == nil {
			p.LocalPref = uint32(n)
		}
	case "community", "large_community":
		// (65000,100) (65000,200) or (64512, 1, 2): as ASN:value.
		for _, m := range birdPairRE.FindAllStringSubmatch(val, -1) {
			c := strings.ReplaceAll(strings.ReplaceAll(m[1], " ", ""), ",", ":")
			if key == "community" {
				p.Communities = append(p.Communities, c)
			} else {
				p.LargeCommunities = append(p.LargeCommunities, c)
			}
		}
	}
}

// BIRDPaths returns every route the BIRD router holds for each prefix of a
// family (4 or 6), one per node that announces it.
func (l *Lab) BIRDPaths(ctx context.Context, family int) (map[netip.Prefix][]Path, error) {
	routes, err := l.birdRoutes(ctx, family, false)
	if err != nil {
		return nil, err
	}
	out := map[netip.Prefix][]Path{}
	for _, r := range routes {
		out[r.prefix] = append(out[r.prefix], r.path)
	}
	return out, nil
}

// BIRDRoutes returns, per prefix of a family, the next hops of the route
// the BIRD router gives its kernel: with `merge paths`, the best route and
// every route equal to it.
func (l *Lab) BIRDRoutes(ctx context.Context, family int) (map[netip.Prefix][]netip.Addr, error) {
	routes, err := l.birdRoutes(ctx, family, true)
	if err != nil {
		return nil, err
	}
	paths := map[netip.Prefix][]Path{}
	for _, r := range routes {
		for _, v := range r.vias {
			paths[r.prefix] = append(paths[r.prefix], Path{NextHop: v})
		}
	}
	return nextHops(paths, func(Path) bool { return true }), nil
}

func (l *Lab) birdRoutes(ctx context.Context, family int, exported bool) ([]birdRoute, error) {
	if _, err := afiName(family); err != nil {
		return nil, err
	}
	args := []string{"show", "route", "table", fmt.Sprintf("master%d", family), "all"}
	if exported {
		args = []string{"show", "route", "export", fmt.Sprintf("kernel%d", family), "all"}
	}
	out, err := l.Birdc(ctx, args...)
	if err != nil {
		return nil, err
	}
	return parseBIRDRoutes(out)
}

var (
	// peer4_1    BGP        ---        up     2026-11-25 21:31:39.858  Established
	birdProtoRE = regexp.MustCompile(`^(\S+)\s+BGP\s+\S+\s+\S+\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})`)
	birdFieldRE = regexp.MustCompile(`^\s+(BGP state|Neighbor address|Neighbor AS|Hold timer|Keepalive timer|Routes|Channel):?\s+(.*)$`)
)

// BIRDNeighbors returns the BIRD router's BGP sessions with the nodes, by
// node address.
func (l *Lab) BIRDNeighbors(ctx context.Context) (map[netip.Addr]Neighbor, error) {
	out, err := l.Birdc(ctx, "show", "protocols", "all")
	if err != nil {
		return nil, err
	}
	return parseBIRDProtocols(out, time.Local)
}

func parseBIRDProtocols(out []byte, loc *time.Location) (map[netip.Addr]Neighbor, error) {
	nbrs := map[netip.Addr]Neighbor{}
	var cur *Neighbor
	family := 0
	flush := func() {
		if cur != nil && cur.Addr.IsValid() { // templates have a range, not an address
			nbrs[cur.Addr] = *cur
		}
		cur = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if m := birdProtoRE.FindStringSubmatch(line); m != nil {
			flush()
			since, err := time.ParseInLocation(birdTime, m[2], loc)
			if err != nil {
				return nil, fmt.Errorf("parse BIRD protocol %q: %w", line, err)
			}
			cur = &Neighbor{Name: m[1], Since: since, Prefixes: map[int]int{}}
			continue
		}
		if line != "" && line[0] != ' ' {
			flush() // another kind of protocol
			continue
		}
		m := birdFieldRE.FindStringSubmatch(line)
		if cur == nil || m == nil {
			continue
		}
		switch val := m[2]; m[1] {
		case "BGP state":
			cur.State = val
		case "Neighbor address":
			cur.Addr, _ = netip.ParseAddr(val)
		case "Neighbor AS":
			n, _ := strconv.ParseUint(val, 10, 32)
			cur.RemoteAS = uint32(n)
		case "Hold timer":
			cur.HoldTime = birdTimer(val)
		case "Keepalive timer":
			cur.KeepaliveTime = birdTimer(val)
		case "Channel":
			family = map[string]int{"ipv4": 4, "ipv6": 6}[val]
		case "Routes":
			// "1 imported, 0 exported, 1 preferred"
			n, _ := strconv.Atoi(strings.Fields(val)[0])
			cur.Prefixes[family] = n
		}
	}
	flush()
	return nbrs, sc.Err()
}

// birdTimer reads the configured part of "180.186/240".
func birdTimer(val string) time.Duration {
	_, s, _ := strings.Cut(val, "/")
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return time.Duration(n) * time.Second
}
