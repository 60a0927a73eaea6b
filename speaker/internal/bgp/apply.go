package bgp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/server"
)

// This file carries out plans on the GoBGP server. Every function here runs
// with opMu held.

// start starts the server, or restarts it when the router ID changed: GoBGP
// cannot change the router ID of a running server. A restart resets every
// session, which is acceptable because the router ID changes only when the
// node's address does.
func (s *Speaker) start(ctx context.Context, want desired) error {
	if s.cur.started && s.cur.routerID == want.routerID {
		return nil
	}
	srv := s.server()
	if s.cur.started {
		s.log.Info("Restarting BGP for a new router ID", "old", s.cur.routerID, "new", want.routerID)
		s.halt(ctx)
	}
	global := &api.Global{Asn: globalASN(want), RouterId: want.routerID.String(), ListenPort: -1}
	if err := srv.StartBgp(ctx, &api.StartBgpRequest{Global: global}); err != nil {
		return fmt.Errorf("start BGP with router ID %v: %w", want.routerID, err)
	}
	set, policy, assignment := importPolicy()
	err := srv.AddDefinedSet(ctx, &api.AddDefinedSetRequest{DefinedSet: set})
	if err == nil {
		err = srv.AddPolicy(ctx, &api.AddPolicyRequest{Policy: policy})
	}
	if err == nil {
		err = srv.AddPolicyAssignment(ctx, &api.AddPolicyAssignmentRequest{Assignment: assignment})
	}
	if err != nil {
		// Without the import policy we would learn routes: stop, and let
		// the next Apply start again.
		if stopErr := srv.StopBgp(ctx, &api.StopBgpRequest{}); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
		return fmt.Errorf("set the BGP import policy: %w", err)
	}
	s.cur.started, s.cur.routerID = true, want.routerID
	s.log.Info("Started BGP", "routerID", want.routerID, "asn", global.Asn)
	return nil
}

// halt stops the server: every session ends with a Cease, and the RIB, the
// VRFs and the policies are dropped.
func (s *Speaker) halt(ctx context.Context) {
	if err := s.server().StopBgp(ctx, &api.StopBgpRequest{}); err != nil {
		s.log.Error(err, "Stopping BGP failed")
	}
	s.cur = newApplied()
	s.mu.Lock()
	now := s.clock.Now()
	for _, t := range s.trackers {
		if t.configured {
			t.unconfigure(now)
		}
	}
	clear(s.byAddr)
	s.mu.Unlock()
	s.poke()
}

// stop ends the speaker for good, once Run's context is done.
func (s *Speaker) stop() {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	s.stopped = true
	if s.cur.started {
		s.halt(context.Background())
		s.log.Info("Stopped BGP")
	}
}

func (s *Speaker) server() *server.BgpServer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv
}

// execute carries out ops in order. An operation that fails skips the rest
// of that peer's operations, so that one bad peer does not stop the others;
// the errors are returned together.
func (s *Speaker) execute(ctx context.Context, ops []op) error {
	var errs []error
	failed := map[string]bool{}
	for _, o := range ops {
		if failed[o.name] {
			continue
		}
		if err := s.do(ctx, o); err != nil {
			failed[o.name] = true
			errs = append(errs, fmt.Errorf("%v of peer %q: %w", o.kind, o.name, err))
			if o.kind == opAddPeer {
				// Status shows why the peer has no session.
				s.mu.Lock()
				if t := s.trackers[o.name]; t != nil {
					t.LastError = err.Error()
				}
				s.mu.Unlock()
			}
		}
	}
	return errors.Join(errs...)
}

func (s *Speaker) do(ctx context.Context, o op) error {
	srv := s.server()
	switch o.kind {
	case opDeletePeer:
		if err := srv.DeletePeer(ctx, &api.DeletePeerRequest{Address: o.peer.Address.String()}); err != nil {
			return err
		}
		delete(s.cur.peers, o.name)
		s.mu.Lock()
		delete(s.byAddr, o.peer.Address)
		if t := s.trackers[o.name]; t != nil {
			t.unconfigure(s.clock.Now())
		}
		s.mu.Unlock()
		s.poke()
		s.log.Info("Deleted BGP peer", "peer", o.name, "address", o.peer.Address)

	case opDeleteVRF:
		if err := srv.DeleteVrf(ctx, &api.DeleteVrfRequest{Name: o.name}); err != nil {
			return err
		}
		delete(s.cur.vrfs, o.name)
		delete(s.cur.paths, o.name)

	case opAddVRF:
		s.nextVRF++
		v, err := vrf(o.name, s.nextVRF)
		if err != nil {
			return err
		}
		if err := srv.AddVrf(ctx, &api.AddVrfRequest{Vrf: v}); err != nil {
			return err
		}
		s.cur.vrfs[o.name] = s.nextVRF
		s.cur.paths[o.name] = map[netip.Prefix]Path{}

	case opDeletePath:
		p, err := apiPath(o.path)
		if err != nil {
			return err
		}
		if err := srv.DeletePath(ctx, &api.DeletePathRequest{TableType: api.TableType_VRF, VrfId: o.name, Path: p}); err != nil {
			return err
		}
		delete(s.cur.paths[o.name], o.path.Prefix)
		s.log.V(1).Info("Withdrew path", "peer", o.name, "prefix", o.path.Prefix)

	case opAddPath:
		p, err := apiPath(o.path)
		if err != nil {
			return err
		}
		if _, err := srv.AddPath(ctx, &api.AddPathRequest{TableType: api.TableType_VRF, VrfId: o.name, Path: p}); err != nil {
			return err
		}
		s.cur.paths[o.name][o.path.Prefix] = o.path
		s.log.V(1).Info("Announced path", "peer", o.name, "prefix", o.path.Prefix, "nextHop", o.path.NextHop)

	case opAddPeer:
		if err := srv.AddPeer(ctx, &api.AddPeerRequest{Peer: neighbor(o.peer, o.name)}); err != nil {
			return err
		}
		s.cur.peers[o.name] = o.peer
		s.mu.Lock()
		s.byAddr[o.peer.Address] = o.name
		if t := s.trackers[o.name]; t != nil {
			t.configure(o.peer, s.clock.Now())
		}
		s.mu.Unlock()
		s.poke()
		// Never the password.
		s.log.Info("Added BGP peer", "peer", o.name, "address", o.peer.Address, "asn", o.peer.ASN,
			"localASN", o.peer.LocalASN, "md5", o.peer.Password != "", "gracefulRestart", o.peer.GracefulRestart)
		if o.peer.HoldTime == 0 {
			s.log.Info("GoBGP cannot offer a hold time of 0; it offers 90s, and a router that offers 0 still gets a session without keepalives", "peer", o.name)
		}
	}
	return nil
}
