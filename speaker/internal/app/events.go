package app

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/ironlb/ironlb/internal/eventsink"
	"github.com/ironlb/ironlb/speaker/internal/announce"
)

// Event reasons on Services, one Event per node and change.
const (
	reasonAdvertised = "Advertised"
	reasonWithdrawn  = "Withdrawn"
)

// serviceEvents records, on each Service whose advertisement by this node
// changed since the last pass, an Event saying what the node now does. The
// first pass only remembers: a restarted speaker must not flood the API
// with one Event per Service.
type serviceEvents struct {
	recorder eventsink.EventRecorder
	node     string
	last     map[string]announce.ServicePlan
}

func (e *serviceEvents) record(plan announce.Plan, svcs map[string]*corev1.Service) {
	if e.recorder == nil {
		return
	}
	first := e.last == nil
	prev := e.last
	e.last = plan.Services
	if first {
		return
	}
	for key, now := range plan.Services {
		was, known := prev[key]
		if known && slices.Equal(was.Peers, now.Peers) && was.Reason == now.Reason {
			continue
		}
		svc := svcs[key]
		if svc == nil {
			continue
		}
		switch {
		case len(now.Peers) > 0:
			e.recorder.Eventf(svc, nil, corev1.EventTypeNormal, reasonAdvertised, "Advertise",
				"%s advertises %s to %s", e.node, addresses(svc), strings.Join(now.Peers, ", "))
		case known && len(was.Peers) > 0:
			e.recorder.Eventf(svc, nil, corev1.EventTypeNormal, reasonWithdrawn, "Withdraw",
				"%s no longer advertises %s: %s", e.node, addresses(svc), explain(now.Reason))
		}
	}
}

// addresses are the Service's ingress IPs, for a message.
func addresses(svc *corev1.Service) string {
	s := make([]string, 0, len(svc.Status.LoadBalancer.Ingress))
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		s = append(s, ing.IP)
	}
	return strings.Join(s, ", ")
}

// explain turns a planner reason into words for an Event.
func explain(r announce.Reason) string {
	switch r {
	case announce.ReasonNodeExcluded:
		return "the node is labelled node.kubernetes.io/exclude-from-external-load-balancers"
	case announce.ReasonNoEndpoints:
		return "the Service has no ready endpoint"
	case announce.ReasonNoLocalEndpoint:
		return "externalTrafficPolicy is Local and the node has no ready endpoint of the Service"
	case announce.ReasonNotInPool:
		return "the address is in no IPPool"
	case announce.ReasonNoAnnouncement:
		return "no BGPAnnouncement selects the address's pool for this node"
	case announce.ReasonNoPeer:
		return "no BGPPeer selects this node"
	case announce.ReasonNoNodeAddress:
		return "the node has no InternalIP of the address's family"
	case announce.ReasonNoRouterID:
		return "the node has no IPv4 InternalIP and no BGPPeer sets spec.routerID"
	}
	return fmt.Sprintf("reason %q", r)
}

// Event reasons of layer-2 ownership.
const (
	reasonOwner   = "L2Owner"
	reasonNoOwner = "NoL2Owner"
)

// ownerEvents records an Event on the Services of a layer-2 address when
// its owner changes: the new owner records it, so each change is told
// once, not once per node; when nobody can own it, the last owner does.
// Like serviceEvents, the first pass only remembers.
type ownerEvents struct {
	recorder eventsink.EventRecorder
	node     string
	last     map[netip.Addr]announce.L2Address
	started  bool
}

func (e *ownerEvents) record(plan announce.L2Plan, svcs map[string]*corev1.Service) {
	if e.recorder == nil {
		return
	}
	prev := e.last
	e.last = plan.IPs
	if !e.started {
		e.started = true
		return
	}
	for ip, now := range plan.IPs {
		was := prev[ip]
		if was.Owner == now.Owner {
			continue
		}
		var note, reason string
		switch {
		case now.Owner == e.node:
			note = fmt.Sprintf("%s answers for %s on %s", e.node, ip, strings.Join(now.Interfaces, ", "))
			if was.Owner != "" {
				note += " (was " + was.Owner + ")"
			}
			reason = reasonOwner
		case now.Owner == "" && was.Owner == e.node:
			note = fmt.Sprintf("no node can answer for %s: %s", ip, explainL2(now.Reason))
			reason = reasonNoOwner
		default:
			continue
		}
		for _, key := range now.Services {
			if svc := svcs[key]; svc != nil {
				e.recorder.Eventf(svc, nil, corev1.EventTypeNormal, reason, "Elect", "%s", note)
			}
		}
	}
}

// explainL2 turns a layer-2 reason into words for an Event.
func explainL2(r announce.Reason) string {
	switch r {
	case announce.ReasonNoLiveNode:
		return "no speaker is alive"
	case announce.ReasonNoSelectedNode:
		return "no live node is selected by an L2Announcement of the address's pool (or every selected node is excluded)"
	case announce.ReasonNoUsableLink:
		return "no selected node has a usable interface matching the L2Announcement"
	}
	return explain(r)
}
