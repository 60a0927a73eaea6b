package service

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/controller/internal/lbsvc"
	"github.com/ironlb/ironlb/internal/allocator"
	"github.com/ironlb/ironlb/internal/config"
)

// Candidates returns the pools svc may draw from, best first (priority, then
// name):
//   - with ironlb.io/pool, that pool alone, even if it does not auto-assign;
//   - with requested addresses, every pool the Service may use, so that an
//     address of a pool with autoAssign: false can be asked for by name;
//   - otherwise the auto-assigning pools the Service may use.
//
// A pool the Service may not use (tenancy, serviceSelector) is never a
// candidate; an error wraps allocator.ErrNoEligiblePool or ErrNotAllowed.
func Candidates(cfg *config.Config, svc *lbsvc.Service, w Want) ([]string, error) {
	allowed := func(p *config.Pool) bool {
		return p.AllowsNamespace(svc.Namespace) && p.AllowsService(svc.Labels)
	}
	if w.Pool != "" {
		p, ok := cfg.Pools[w.Pool]
		if !ok {
			return nil, fmt.Errorf("annotation %s names IPPool %q, which does not exist or is not Ready (see its conditions): %w",
				v1alpha1.AnnotationPool, w.Pool, allocator.ErrNoEligiblePool)
		}
		if !allowed(p) {
			return nil, fmt.Errorf("IPPool %q does not serve Services in namespace %q with these labels (see its spec.allocation): %w",
				w.Pool, svc.Namespace, allocator.ErrNotAllowed)
		}
		return []string{p.Name}, nil
	}
	var pools []*config.Pool
	for _, p := range cfg.Pools {
		if allowed(p) && (p.AutoAssign || len(w.IPs) > 0) {
			pools = append(pools, p)
		}
	}
	if len(pools) == 0 {
		return nil, fmt.Errorf("no Ready IPPool with autoAssign serves namespace %q: create one, or widen an existing pool's spec.allocation: %w",
			svc.Namespace, allocator.ErrNoEligiblePool)
	}
	slices.SortFunc(pools, func(a, b *config.Pool) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), strings.Compare(a.Name, b.Name))
	})
	names := make([]string, len(pools))
	for i, p := range pools {
		names[i] = p.Name
	}
	return names, nil
}

// Reason maps an allocation error to the reason of the Allocated condition.
func Reason(err error) string {
	var invalid *InvalidError
	switch {
	case errors.As(err, &invalid), errors.Is(err, allocator.ErrInvalidRequest):
		return v1alpha1.ReasonInvalidRequest
	case errors.Is(err, allocator.ErrPoolExhausted):
		return v1alpha1.ReasonPoolExhausted
	case errors.Is(err, allocator.ErrIPInUse):
		return v1alpha1.ReasonIPInUse
	case errors.Is(err, allocator.ErrNotAllowed), errors.Is(err, allocator.ErrNotInPool):
		return v1alpha1.ReasonNotAllowed
	default:
		return v1alpha1.ReasonNoEligiblePool
	}
}
