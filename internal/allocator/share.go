package allocator

import "fmt"

// An address may have several owners if and only if they all carry the same
// non-empty sharing key, all have the same traffic key, and no two of them
// use the same protocol and port. A Service is never in conflict with itself,
// so it may change its own ports or keys on an address it holds alone.

// blocker returns an owner of h that req may not share the address with, or
// nil if it may.
func blocker(h *holding, req *Request) *service {
	for _, o := range h.owners {
		if o.name == req.Service {
			continue
		}
		if req.SharingKey == "" || o.sharingKey != req.SharingKey || o.trafficKey != req.TrafficKey {
			return o
		}
		if _, clash := overlap(o.ports, req.Ports); clash {
			return o
		}
	}
	return nil
}

// why explains, for a person, why req may not share an address with o.
func why(o *service, req *Request) string {
	switch {
	case o.sharingKey == "":
		return fmt.Sprintf("held by %q, which does not share", o.name)
	case req.SharingKey == "":
		return fmt.Sprintf("held by %q, and the request has no sharing key", o.name)
	case o.sharingKey != req.SharingKey:
		return fmt.Sprintf("held by %q with sharing key %q, not %q", o.name, o.sharingKey, req.SharingKey)
	case o.trafficKey != req.TrafficKey:
		return fmt.Sprintf("held by %q with traffic key %q, not %q", o.name, o.trafficKey, req.TrafficKey)
	}
	p, _ := overlap(o.ports, req.Ports)
	return fmt.Sprintf("held by %q, which also uses %s", o.name, p)
}

// overlap returns a port that both lists have. Services have a handful of
// ports, so a quadratic scan beats building a set.
func overlap(a, b []Port) (Port, bool) {
	for _, p := range a {
		for _, q := range b {
			if p == q {
				return p, true
			}
		}
	}
	return Port{}, false
}

// shareable returns the address of family f that req may share, if any: the
// one in the first candidate pool, and the lowest there.
func (a *Allocator) shareable(req *Request, f Family, cand []int32) (uint128, bool) {
	var best uint128
	bestRank := len(cand)
	for k := range a.shared[req.SharingKey] {
		if k.family() != f {
			continue
		}
		h := a.ips[k]
		r := rank(cand, h.pool)
		if r < 0 || r > bestRank || r == bestRank && best.less(k) {
			continue
		}
		if a.usable(h.pool, k) && blocker(h, req) == nil {
			best, bestRank = k, r
		}
	}
	return best, bestRank < len(cand)
}

// rank returns the position of pool p among the candidates, or -1.
func rank(cand []int32, p int32) int {
	for i, c := range cand {
		if c == p {
			return i
		}
	}
	return -1
}

func (a *Allocator) index(key string, k uint128) {
	m := a.shared[key]
	if m == nil {
		m = map[uint128]struct{}{}
		a.shared[key] = m
	}
	m[k] = struct{}{}
}

func (a *Allocator) unindex(key string, k uint128) {
	m := a.shared[key]
	delete(m, k)
	if len(m) == 0 {
		delete(a.shared, key)
	}
}
