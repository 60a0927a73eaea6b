//go:build linux

package lab

import (
	"net"
	"sync"
)

// apiPath is the node namespaces' way to the apiserver, which a test can
// cut to see the speakers through an API outage.
type apiPath struct {
	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
}

// admit registers a node's connection to the apiserver; false when the path
// is cut, and the caller closes it at once.
func (p *apiPath) admit(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	if p.conns == nil {
		p.conns = map[net.Conn]struct{}{}
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *apiPath) release(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// SetAPIServerReachable cuts (false) or restores (true) every node
// namespace's path to the apiserver. Cut, open connections are closed and
// new ones are closed as soon as they are accepted: to the speakers and
// kube-proxies in the nodes this is an apiserver that went away (connection
// refused is not possible, since the forwarder's listener stays). The
// controller, on the host, keeps its own connection.
func (l *Lab) SetAPIServerReachable(ok bool) {
	p := &l.api
	p.mu.Lock()
	p.cut = !ok
	var open []net.Conn
	if !ok {
		for c := range p.conns {
			open = append(open, c)
		}
	}
	p.mu.Unlock()
	for _, c := range open {
		_ = c.Close()
	}
}
