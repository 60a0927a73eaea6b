package service

import (
	"net/netip"

	"k8s.io/apimachinery/pkg/types"

	"github.com/ironlb/ironlb/controller/internal/lbsvc"
	"github.com/ironlb/ironlb/internal/allocator"
)

// request builds the allocator request for svc.
func request(key string, w Want, pools []string) allocator.Request {
	return allocator.Request{
		Service:    key,
		Families:   w.Families,
		IPs:        w.IPs,
		Pools:      pools,
		SharingKey: w.SharingKey,
		Ports:      w.Ports,
		TrafficKey: w.TrafficKey,
	}
}

// ImportRequest builds the request under which a Service's current addresses
// are re-imported at start-up, or false if the controller does not serve it.
// An annotation that does not parse still lets the addresses be kept: the
// families are taken from the addresses themselves.
func ImportRequest(serveClassless bool) func(*lbsvc.Service) (allocator.Request, bool) {
	return func(svc *lbsvc.Service) (allocator.Request, bool) {
		if !svc.Served(serveClassless) {
			return allocator.Request{}, false
		}
		w, err := Desired(svc)
		if err != nil {
			w.Families = nil
			for _, in := range svc.Ingress {
				if ip, err := netip.ParseAddr(in.IP); err == nil {
					w.Families = append(w.Families, allocator.FamilyOf(ip))
				}
			}
		}
		w.IPs = nil // the addresses imported are those in status
		return request(serviceKey(svc), w, nil), true
	}
}

func keyOf(nn types.NamespacedName) string { return nn.Namespace + "/" + nn.Name }

// serviceKey is the allocator's key of a Service.
func serviceKey(svc *lbsvc.Service) string { return svc.ID() }

func familyIPs(ips []netip.Addr, f allocator.Family) []netip.Addr {
	var out []netip.Addr
	for _, ip := range ips {
		if allocator.FamilyOf(ip) == f {
			out = append(out, ip)
		}
	}
	return out
}
