package service

import (
	"errors"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/ironlb/ironlb/controller/internal/lbsvc"
	"github.com/ironlb/ironlb/internal/allocator"
	"github.com/ironlb/ironlb/internal/config"
)

// Allocate runs one allocation pass for svc against alloc and cfg. Addresses
// the Service holds change only when its request changes and the new request
// can be met; a failed pass leaves them as they were.
func Allocate(alloc *allocator.Allocator, cfg *config.Config, svc *lbsvc.Service) Outcome {
	held := alloc.Assigned(serviceKey(svc))
	w, err := Desired(svc)
	if err != nil {
		o := failed(held, err, false)
		o.Before = held
		return o
	}
	o := allocate(alloc, cfg, svc, w, held)
	o.Before, o.IPMode = held, w.IPMode
	return o
}

func allocate(alloc *allocator.Allocator, cfg *config.Config, svc *lbsvc.Service, w Want, held []allocator.Assignment) Outcome {
	// An address whose pool went away stays with its Service until the user
	// asks for something else (DESIGN.md §4: never drop live traffic).
	if len(w.IPs) == 0 && w.Pool == "" && slices.ContainsFunc(held, func(a allocator.Assignment) bool { return a.Pool == "" }) {
		return orphaned(held)
	}
	pools, err := Candidates(cfg, svc, w)
	if err != nil {
		return failed(held, err, false)
	}
	req := request(serviceKey(svc), w, pools)
	got, err := alloc.Assign(req)
	if err == nil {
		return allocated(got)
	}
	waiting := errors.Is(err, allocator.ErrPoolExhausted) || errors.Is(err, allocator.ErrIPInUse)

	// PreferDualStack takes one family when both cannot be had, and is
	// retried for the other. It never gives up a family it already holds.
	if w.Policy == corev1.IPFamilyPolicyPreferDualStack && len(w.Families) == 2 && len(held) < 2 {
		for i, f := range w.Families {
			single := req
			single.Families = []allocator.Family{f}
			single.IPs = familyIPs(w.IPs, f)
			if got, err1 := alloc.Assign(single); err1 == nil {
				o := allocated(got)
				o.Message += "; no " + w.Families[1-i].String() + " address yet (PreferDualStack): " + err.Error()
				o.Waiting = waiting
				return o
			}
		}
	}
	return failed(held, err, waiting)
}
