package allocator

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
)

// model is the allocator's contract in brute force.
type model struct {
	pools []Pool
	addrs [][2][]netip.Addr // usable addresses per pool and famIndex, ascending
	svcs  map[string]*modelService
}

func (m *model) setPools(pools []Pool) {
	m.pools = pools
	m.addrs = make([][2][]netip.Addr, len(pools))
	for p := range pools {
		for _, f := range []Family{IPv4, IPv6} {
			m.addrs[p][famIndex(f)] = m.usableAddrs(p, f)
		}
	}
}

type modelService struct {
	req Request
	ips []netip.Addr // unmapped
}

// poolOf returns the index of the pool holding ip, or -1.
func (m *model) poolOf(ip netip.Addr) int {
	ip = ip.Unmap()
	for i, p := range m.pools {
		for _, r := range p.Ranges {
			if ip.Is4() == r.First.Unmap().Is4() && r.First.Unmap().Compare(ip) <= 0 && ip.Compare(r.Last.Unmap()) <= 0 {
				return i
			}
		}
	}
	return -1
}

func (m *model) usable(p int, ip netip.Addr) bool {
	if p < 0 {
		return false
	}
	if !m.pools[p].AvoidBuggyIPs || !ip.Is4() {
		return true
	}
	b := ip.As4()
	return b[3] != 0 && b[3] != 255
}

// usableAddrs lists pool p's usable addresses of family f, ascending.
func (m *model) usableAddrs(p int, f Family) []netip.Addr {
	var out []netip.Addr
	for _, r := range m.pools[p].Ranges {
		if FamilyOf(r.First) != f {
			continue
		}
		for ip := r.First.Unmap(); ip.IsValid() && ip.Compare(r.Last.Unmap()) <= 0; ip = ip.Next() {
			if m.usable(p, ip) {
				out = append(out, ip)
			}
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

func (m *model) holders(ip netip.Addr) []*modelService {
	var out []*modelService
	for _, s := range m.svcs {
		if slices.Contains(s.ips, ip) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(x, y *modelService) int { return cmp.Compare(x.req.Service, y.req.Service) })
	return out
}

func (m *model) compatible(ip netip.Addr, req Request) bool {
	for _, h := range m.holders(ip) {
		if h.req.Service == req.Service {
			continue
		}
		if req.SharingKey == "" || h.req.SharingKey != req.SharingKey || h.req.TrafficKey != req.TrafficKey {
			return false
		}
		for _, p := range h.req.Ports {
			if slices.Contains(req.Ports, p) {
				return false
			}
		}
	}
	return true
}

// assign is Assign's documented order of precedence, literally.
func (m *model) assign(req Request) ([]netip.Addr, error) {
	var cand []int
	for _, name := range req.Pools {
		for i, p := range m.pools {
			if p.Name == name && !slices.Contains(cand, i) {
				cand = append(cand, i)
			}
		}
	}
	valid := func(ip netip.Addr) bool {
		p := m.poolOf(ip)
		return slices.Contains(cand, p) && m.usable(p, ip) && m.compatible(ip, req)
	}
	self := m.svcs[req.Service]
	var picks []netip.Addr
family:
	for _, f := range req.Families {
		if ip, ok := req.explicit(f); ok {
			ip = ip.Unmap()
			p := m.poolOf(ip)
			switch {
			case p < 0:
				return nil, ErrNotInPool
			case !slices.Contains(cand, p) || !m.usable(p, ip):
				return nil, ErrNotAllowed
			case !m.compatible(ip, req):
				return nil, ErrIPInUse
			}
			picks = append(picks, ip)
			continue
		}
		if self != nil {
			for _, ip := range self.ips {
				if FamilyOf(ip) == f && valid(ip) {
					picks = append(picks, ip)
					continue family
				}
			}
		}
		if req.SharingKey != "" {
			var shared []netip.Addr
			for _, s := range m.svcs {
				for _, ip := range s.ips {
					if s.req.SharingKey == req.SharingKey && FamilyOf(ip) == f && valid(ip) {
						shared = append(shared, ip)
					}
				}
			}
			if len(shared) > 0 {
				picks = append(picks, slices.MinFunc(shared, func(x, y netip.Addr) int {
					return cmp.Or(cmp.Compare(slices.Index(cand, m.poolOf(x)), slices.Index(cand, m.poolOf(y))), x.Compare(y))
				}))
				continue
			}
		}
		eligible := false
		for _, p := range cand {
			for _, ip := range m.addrs[p][famIndex(f)] {
				eligible = true
				if len(m.holders(ip)) == 0 {
					picks = append(picks, ip)
					continue family
				}
			}
		}
		if !eligible {
			return nil, ErrNoEligiblePool
		}
		return nil, ErrPoolExhausted
	}
	return picks, nil
}

func (m *model) importIPs(req Request, ips []netip.Addr) ([]netip.Addr, error) {
	// A malformed request is refused before anything is looked up.
	for i, ip := range ips {
		if !slices.Contains(req.Families, FamilyOf(ip)) || slices.ContainsFunc(ips[:i], func(o netip.Addr) bool { return FamilyOf(o) == FamilyOf(ip) }) {
			return nil, ErrInvalidRequest
		}
	}
	var picks []netip.Addr
	for _, f := range req.Families {
		for _, ip := range ips {
			if FamilyOf(ip) == f {
				if !m.compatible(ip.Unmap(), req) {
					return nil, ErrIPInUse
				}
				picks = append(picks, ip.Unmap())
			}
		}
	}
	return picks, nil
}

// compare checks everything the API reports against the model.
func (m *model) compare(a *Allocator) error {
	if err := a.check(); err != nil {
		return err
	}
	held := map[netip.Addr]bool{}
	var orphans []Orphan
	for _, name := range fuzzServices {
		var want []Assignment
		if s := m.svcs[name]; s != nil {
			for _, ip := range s.ips {
				p := m.poolOf(ip)
				pool := ""
				if p >= 0 {
					pool = m.pools[p].Name
				} else {
					orphans = append(orphans, Orphan{Service: name, IP: ip})
				}
				want = append(want, Assignment{IP: ip, Pool: pool})
				held[ip] = true
			}
		}
		if got := a.Assigned(name); !slices.Equal(got, want) {
			return fmt.Errorf("Assigned(%s) = %v, want %v", name, got, want)
		}
	}
	owners := map[netip.Addr][]string{}
	for _, name := range fuzzServices { // sorted, so each list is too
		if s := m.svcs[name]; s != nil {
			for _, ip := range s.ips {
				owners[ip] = append(owners[ip], name)
			}
		}
	}
	for _, ip := range fuzzAddrs {
		if got, want := a.Owners(ip), owners[ip.Unmap()]; !slices.Equal(got, want) {
			return fmt.Errorf("Owners(%s) = %q, want %q", ip, got, want)
		}
	}
	for ip, want := range owners {
		if got := a.Owners(ip); !slices.Equal(got, want) {
			return fmt.Errorf("Owners(%s) = %q, want %q", ip, got, want)
		}
	}
	slices.SortFunc(orphans, func(x, y Orphan) int { return cmp.Or(x.IP.Compare(y.IP), cmp.Compare(x.Service, y.Service)) })
	if got := a.Orphans(); !slices.Equal(got, orphans) {
		return fmt.Errorf("Orphans() = %v, want %v", got, orphans)
	}
	for p, pool := range m.pools {
		v4, v6 := a.Stats(pool.Name)
		for _, fc := range []struct {
			f Family
			c Counts
		}{{IPv4, v4}, {IPv6, v6}} {
			usable := m.addrs[p][famIndex(fc.f)]
			assigned := 0
			for _, ip := range usable {
				if held[ip] {
					assigned++
				}
			}
			if fc.c.Total.Uint64() != uint64(len(usable)) || fc.c.Assigned.Uint64() != uint64(assigned) || fc.c.Available.Uint64() != uint64(len(usable)-assigned) {
				return fmt.Errorf("Stats(%s) %s = %s/%s/%s, want %d/%d/%d (total/assigned/available)",
					pool.Name, fc.f, fc.c.Total, fc.c.Assigned, fc.c.Available, len(usable), assigned, len(usable)-assigned)
			}
		}
	}
	return nil
}
