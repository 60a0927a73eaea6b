//go:build linux

package lab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"
)

// Listen opens a listener inside a lab namespace. The socket is created
// while a locked OS thread is in the namespace, and a socket keeps the
// namespace it was created in (TESTBED), so the goroutines that accept on it
// need no namespace of their own. Down closes it.
func (l *Lab) Listen(ns, network, addr string) (net.Listener, error) {
	h, err := l.handle(ns)
	if err != nil {
		return nil, err
	}
	var ln net.Listener
	err = inNS(h, func() error {
		var err error
		ln, err = net.Listen(network, addr)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listen on %s %s in %s: %w", network, addr, ns, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down {
		_ = ln.Close()
		return nil, errors.New("lab is down")
	}
	l.listeners = append(l.listeners, ln)
	return ln, nil
}

// serve accepts on ln until it is closed and hands each connection to fn on
// a goroutine of its own. Down waits for all of them.
func (l *Lab) serve(ln net.Listener, fn func(net.Conn)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down { // Down has closed ln and may be waiting already
		return
	}
	l.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by Down; nothing else fails on a TCP listener
			}
			if !l.track(c) {
				continue
			}
			l.wg.Go(func() {
				defer l.untrack(c)
				fn(c)
			})
		}
	})
}

// track records an open connection so Down can close it; it closes c and
// reports false if the lab is already down.
func (l *Lab) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down {
		_ = c.Close()
		return false
	}
	l.conns[c] = struct{}{}
	return true
}

func (l *Lab) untrack(c net.Conn) {
	_ = c.Close()
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// startForwarders lets every node namespace reach the apiserver on host
// loopback without a route in the host: a listener inside the node at the
// apiserver's own address, and a dial from an ordinary goroutine, whose
// thread is in the host namespace. The node's kubeconfigs, certificates and
// TLS server names stay as they are on the host.
func (l *Lab) startForwarders() error {
	for i := 1; i <= l.opts.nodes(); i++ {
		ln, err := l.Listen(NodeName(i), "tcp", l.opts.APIServer.String())
		if err != nil {
			return fmt.Errorf("apiserver forwarder: %w", err)
		}
		l.serve(ln, l.forward)
	}
	return nil
}

func (l *Lab) forward(c net.Conn) {
	if !l.api.admit(c) {
		return // cut by SetAPIServerReachable; serve closes c
	}
	defer l.api.release(c)
	d := net.Dialer{Timeout: 5 * time.Second}
	up, err := d.Dial("tcp", l.opts.APIServer.String())
	if err != nil {
		return // the client sees its connection close, as with a down apiserver
	}
	if !l.track(up) {
		return
	}
	defer l.untrack(up)
	done := make(chan struct{})
	go func() {
		pipe(up, c)
		close(done)
	}()
	pipe(c, up)
	<-done
}

// pipe copies src to dst and then half-closes dst, so that a client that
// waits for EOF gets it while the other direction still runs.
func pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	} else {
		_ = dst.Close()
	}
}

// startBackends starts the pod backends: in each pod namespace a TCP server
// on PodPort of the pod's IPv4 and IPv6 addresses that answers every
// connection with one line, "pod=podN node=nodeN client=<remote ip>", and
// closes it.
func (l *Lab) startBackends() error {
	for i := 1; i <= l.opts.nodes(); i++ {
		line := fmt.Sprintf("pod=%s node=%s client=", PodName(i), NodeName(i))
		for _, f := range []int{4, 6} {
			ln, err := l.Listen(PodName(i), "tcp", netip.AddrPortFrom(PodAddr(i, f), PodPort).String())
			if err != nil {
				return fmt.Errorf("backend: %w", err)
			}
			l.serve(ln, func(c net.Conn) { reply(c, line) })
		}
	}
	return nil
}

func reply(c net.Conn, prefix string) {
	remote := c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, prefix+remote.String()+"\n"); err != nil {
		return
	}
	// Close gracefully: half-close, then drain what the client sent (an
	// HTTP request, say) so closing does not reset the connection before
	// the client has read the reply.
	_ = c.(*net.TCPConn).CloseWrite()
	_, _ = io.Copy(io.Discard, c)
}

// Dial connects to addr over TCP from inside a lab namespace and returns the
// first line the server sends, without its newline: from a pod backend,
// "pod=pod1 node=node1 client=198.51.100.100".
func (l *Lab) Dial(ctx context.Context, ns string, addr netip.AddrPort) (string, error) {
	h, err := l.handle(ns)
	if err != nil {
		return "", err
	}
	var c net.Conn
	err = inNS(h, func() error {
		var d net.Dialer
		var err error
		c, err = d.DialContext(ctx, "tcp", addr.String())
		return err
	})
	if err != nil {
		return "", fmt.Errorf("dial %s from %s: %w", addr, ns, err)
	}
	defer c.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Second)
	}
	_ = c.SetReadDeadline(deadline)
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		return "", fmt.Errorf("read from %s in %s: %w", addr, ns, err)
	}
	return strings.TrimSuffix(line, "\n"), nil
}
