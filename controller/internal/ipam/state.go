// Package ipam holds the controller's address state: the allocator, and the
// configuration it was last given. Both the Service and the IPPool
// reconcilers call [State.Sync] first, which reparses the configuration when
// an IPPool or Namespace changed and, the first time, imports every address
// already written in Service status, so that a restarted or newly elected
// controller never hands out an address that is in use.
package ipam

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/controller/internal/lbsvc"
	"github.com/ironlb/ironlb/internal/allocator"
	"github.com/ironlb/ironlb/internal/config"
	"github.com/ironlb/ironlb/internal/kube"
)

// State is shared by the reconcilers of one controller process.
type State struct {
	// Alloc is safe for concurrent use.
	Alloc *allocator.Allocator

	cache Cache
	// Desired reads a Service's request; it is the service package's
	// function, passed in to keep this package free of it.
	desired func(*lbsvc.Service) (allocator.Request, bool)

	// dirty says an IPPool or Namespace may have changed since the last
	// Sync read them; see Invalidate.
	dirty atomic.Bool

	mu       sync.Mutex
	key      string
	cfg      *config.Config
	problems config.Problems
	imported bool
	// origin remembers, for an address that fell out of every pool, the
	// pool it was in, so that a shrunk pool can report it.
	origin map[netip.Addr]string
}

// Cache is what a State reads: the objects of the informers' caches, which
// it never changes.
type Cache interface {
	IPPools() []*ironlbv1.IPPool
	Namespaces() []*corev1.Namespace
	Services() []*lbsvc.Service
}

// New returns a State that reads from c. desired builds the request used
// to re-import a Service's current addresses; it reports false for Services
// the controller does not serve.
func New(c Cache, desired func(*lbsvc.Service) (allocator.Request, bool)) *State {
	s := &State{Alloc: allocator.New(), cache: c, desired: desired}
	s.dirty.Store(true)
	return s
}

// Invalidate tells the next Sync to read the IPPools and Namespaces again.
// Call it from the event handlers of both kinds, before anything they
// trigger can call Sync: the cache already holds the change by then, and
// Sync reads it. Without a call, Sync trusts what it parsed last, which
// keeps a reconcile O(1) in the number of namespaces (reading them all cost
// about 1 ms per reconcile with 1,000 namespaces: BenchmarkConfigKey).
func (s *State) Invalidate() { s.dirty.Store(true) }

// Snapshot is the configuration at one moment. It must not be modified.
type Snapshot struct {
	Config   *config.Config
	Problems config.Problems
	// Changed is true when this Sync reparsed a changed configuration.
	Changed bool
	// Orphans lists, per pool that still exists, the addresses it used to
	// hold that are still assigned ("203.0.113.9 (default/web)").
	Orphans map[string][]string
}

// Sync brings the allocator's pools up to date with the IPPools and
// Namespaces in the cache, and on the first call imports existing
// assignments. It is cheap when nothing changed, and reads nothing unless
// Invalidate was called since the last read.
func (s *State) Sync(ctx context.Context) (Snapshot, error) {
	// Listing under the lock keeps a Sync that read the cache earlier from
	// replacing a newer configuration with its older one.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.imported && !s.dirty.Load() {
		return Snapshot{Config: s.cfg, Problems: s.problems, Orphans: s.orphans()}, nil
	}
	// Cleared before reading: a change that lands while (or after) this
	// Sync reads sets it again, and the next Sync reads again.
	s.dirty.Store(false)
	// Shallow copies: the parser takes values, and reads only.
	pools := kube.Values(s.cache.IPPools())
	nss := kube.Values(s.cache.Namespaces())
	key := configKey(pools, nss)

	changed := key != s.key
	if changed {
		cfg, problems := config.Parse(config.Input{Pools: pools, Namespaces: nss})
		if err := s.Alloc.SetPools(allocatorPools(cfg)); err != nil {
			// The parser drops overlapping pools, so this is a bug.
			return Snapshot{}, fmt.Errorf("set pools: %w", err)
		}
		s.rememberOrigins(s.cfg)
		s.key, s.cfg, s.problems = key, cfg, problems
	}
	if !s.imported {
		s.importServices(ctx)
		s.imported = true
	}
	return Snapshot{Config: s.cfg, Problems: s.problems, Changed: changed, Orphans: s.orphans()}, nil
}

// rememberOrigins records the pool of old that held each new orphan.
func (s *State) rememberOrigins(old *config.Config) {
	if old == nil {
		return
	}
	if s.origin == nil {
		s.origin = map[netip.Addr]string{}
	}
	for _, o := range s.Alloc.Orphans() {
		if _, ok := s.origin[o.IP]; ok {
			continue
		}
		for _, p := range old.Pools {
			if slices.ContainsFunc(p.Ranges, func(r config.Range) bool { return r.Contains(o.IP) }) {
				s.origin[o.IP] = p.Name
			}
		}
	}
}

// orphans groups the current orphans by the pool they came from.
func (s *State) orphans() map[string][]string {
	out := map[string][]string{}
	live := map[netip.Addr]bool{}
	for _, o := range s.Alloc.Orphans() {
		live[o.IP] = true
		if p, ok := s.origin[o.IP]; ok && s.cfg.Pools[p] != nil {
			out[p] = append(out[p], fmt.Sprintf("%s (%s)", o.IP, o.Service))
		}
	}
	for ip := range s.origin {
		if !live[ip] {
			delete(s.origin, ip)
		}
	}
	return out
}

// importServices re-reserves every address already in Service status,
// oldest Service first, so that of two Services claiming one address the
// older keeps it.
func (s *State) importServices(ctx context.Context) {
	svcs := s.cache.Services()
	slices.SortFunc(svcs, func(a, b *lbsvc.Service) int {
		return cmp.Or(cmp.Compare(a.Created, b.Created),
			cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	log := logr.FromContextOrDiscard(ctx)
	n := 0
	for _, svc := range svcs {
		ips := IngressIPs(svc)
		if len(ips) == 0 {
			continue
		}
		req, ok := s.desired(svc)
		if !ok {
			continue
		}
		if err := s.Alloc.Import(req, ips); err != nil {
			// The Service's reconcile reports it; its addresses are not
			// reserved, so another Service keeps them.
			log.Info("address in Service status cannot be kept", "service", req.Service, "ips", ips, "error", err.Error())
			continue
		}
		n++
	}
	log.Info("imported existing assignments", "services", n)
}

// IngressIPs returns the addresses in svc's status.loadBalancer.ingress.
func IngressIPs(svc *lbsvc.Service) []netip.Addr {
	var ips []netip.Addr
	for _, in := range svc.Ingress {
		if ip, err := netip.ParseAddr(in.IP); err == nil {
			ips = append(ips, ip)
		}
	}
	return ips
}

// configKey changes whenever something the parsed configuration depends on
// changes: a pool's spec or labels, or a namespace's labels. Status writes
// do not change it, and neither does the order the cache lists objects in
// (it is random, and reparsing calls SetPools, which costs O(addresses in
// use)).
func configKey(pools []ironlbv1.IPPool, nss []corev1.Namespace) string {
	slices.SortFunc(pools, func(a, b ironlbv1.IPPool) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(nss, func(a, b corev1.Namespace) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	for i := range pools {
		p := &pools[i]
		fmt.Fprintf(&b, "%s/%s/%d/%d/%v;", p.Name, p.UID, p.Generation, p.CreationTimestamp.Unix(), p.Labels)
	}
	for i := range nss {
		fmt.Fprintf(&b, "%s/%v;", nss[i].Name, nss[i].Labels)
	}
	return b.String()
}

func allocatorPools(cfg *config.Config) []allocator.Pool {
	out := make([]allocator.Pool, 0, len(cfg.Pools))
	for _, p := range cfg.Pools {
		ap := allocator.Pool{Name: p.Name, AvoidBuggyIPs: p.AvoidBuggyIPs}
		for _, r := range p.Ranges {
			ap.Ranges = append(ap.Ranges, allocator.Range{First: r.First, Last: r.Last})
		}
		out = append(out, ap)
	}
	slices.SortFunc(out, func(a, b allocator.Pool) int { return strings.Compare(a.Name, b.Name) })
	return out
}
