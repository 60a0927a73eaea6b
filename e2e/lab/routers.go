//go:build linux

package lab

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// startRouters writes both routers' configurations and starts them side by
// side.
func (l *Lab) startRouters(ctx context.Context) error {
	if err := l.writeFRRConfig(); err != nil {
		return err
	}
	conf, err := RenderBIRD(l.opts.BGP)
	if err != nil {
		return err
	}
	if err := l.writeBIRDConfig(conf); err != nil {
		return err
	}
	var wg sync.WaitGroup
	var frrErr, birdErr error
	wg.Go(func() { frrErr = l.startFRR(ctx) })
	wg.Go(func() { birdErr = l.startBIRD(ctx) })
	wg.Wait()
	return errors.Join(frrErr, birdErr)
}

// routerProcs returns the running processes of a router, in the order they
// should stop: bgpd before zebra, so that zebra still removes bgpd's routes.
func (l *Lab) routerProcs(name string) ([]*Proc, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ps []*Proc
	switch name {
	case Router:
		if l.frr != nil {
			ps = []*Proc{l.frr.bgpd, l.frr.zebra}
		}
	case Router2:
		ps = []*Proc{l.bird}
	default:
		return nil, fmt.Errorf("%q is not a router (want %q or %q)", name, Router, Router2)
	}
	var running []*Proc
	for _, p := range ps {
		if p != nil && p.Running() {
			running = append(running, p)
		}
	}
	return running, nil
}

// StopRouter stops a router's daemons with SIGTERM: FRR (Router) or BIRD
// (Router2). Both remove their routes from the router's kernel. BIRD ends
// its sessions with a NOTIFICATION (Cease, administrative shutdown); FRR
// 8.4's bgpd only closes the connections, with or without graceful restart.
func (l *Lab) StopRouter(name string) error {
	ps, err := l.routerProcs(name)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := p.Stop(); err != nil {
			return fmt.Errorf("stop %s: %w", name, err)
		}
	}
	return nil
}

// KillRouter kills a router's daemons with SIGKILL, as a crash would: no
// NOTIFICATION is sent, so the nodes see their sessions drop (and graceful
// restart applies where it was negotiated), and the routes stay in the
// router's kernel.
func (l *Lab) KillRouter(name string) error {
	ps, err := l.routerProcs(name)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := p.Kill(); err != nil {
			return fmt.Errorf("kill %s: %w", name, err)
		}
	}
	return nil
}

// StartRouter starts a stopped router with its current configuration.
func (l *Lab) StartRouter(ctx context.Context, name string) error {
	ps, err := l.routerProcs(name)
	if err != nil {
		return err
	}
	if len(ps) > 0 {
		return fmt.Errorf("start %s: still running", name)
	}
	if name == Router {
		return l.startFRR(ctx)
	}
	return l.startBIRD(ctx)
}

// RestartRouter stops a router with SIGTERM and starts it again.
func (l *Lab) RestartRouter(ctx context.Context, name string) error {
	if err := l.StopRouter(name); err != nil {
		return err
	}
	return l.StartRouter(ctx, name)
}
