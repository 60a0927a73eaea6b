package members

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/hashicorp/memberlist"
)

// waitLimit is how long a test waits for a state. It is generous: the tests
// assert states, never how fast they come.
const waitLimit = 20 * time.Second

// logRecorder keeps every log line of one member, so that tests can see
// why trust was lost, and echoes them to stderr when IRONLB_TEST_LOG is set.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) logger(name string) logr.Logger {
	echo := os.Getenv("IRONLB_TEST_LOG") != ""
	return funcr.New(func(prefix, args string) {
		r.mu.Lock()
		r.lines = append(r.lines, args)
		r.mu.Unlock()
		if echo {
			fmt.Fprintf(os.Stderr, "%s %s %s\n", time.Now().Format("15:04:05.000"), name, args)
		}
	}, funcr.Options{Verbosity: 1})
}

func (r *logRecorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.lines)
}

// containsSince reports whether a line from the i-th on contains s.
func (r *logRecorder) containsSince(i int, s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.ContainsFunc(r.lines[i:], func(l string) bool { return strings.Contains(l, s) })
}

// freePorts returns n distinct loopback ports that were free for both TCP
// and UDP a moment ago. It holds them all until it returns, so that the
// kernel cannot hand out one port twice.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var closers []func() error
	defer func() {
		for _, c := range closers {
			_ = c()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("reserve a loopback port: %v", err)
		}
		closers = append(closers, l.Close)
		port := l.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue // taken for UDP; keep the TCP one so it is not drawn again
		}
		closers = append(closers, pc.Close)
		ports = append(ports, port)
	}
	return ports
}

// testNode is one member on 127.0.0.1.
type testNode struct {
	name   string
	addr   netip.AddrPort
	m      *Members
	logs   *logRecorder
	cancel context.CancelFunc
	done   chan error
}

func newNode(t *testing.T, name string, port int, o Options) *testNode {
	t.Helper()
	o.NodeName = name
	o.BindAddr = netip.MustParseAddr("127.0.0.1")
	o.Port = port
	logs := &logRecorder{}
	m, err := New(logs.logger(name), o)
	if err != nil {
		t.Fatalf("New(%s): %v", name, err)
	}
	return &testNode{name: name, addr: netip.AddrPortFrom(o.BindAddr, uint16(port)), m: m, logs: logs}
}

// start runs the member until the test ends.
func (n *testNode) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel, n.done = cancel, make(chan error, 1)
	go func() { n.done <- n.m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-n.done; err != nil {
			t.Errorf("%s: Run: %v", n.name, err)
		}
	})
}

// cluster creates members named after names on free ports, tells each the
// addresses of all, and starts them. opts, if given, adjusts each member's
// options by index.
func cluster(t *testing.T, names []string, opts func(i int, o *Options)) []*testNode {
	t.Helper()
	ports := freePorts(t, len(names))
	nodes := make([]*testNode, len(names))
	var addrs []netip.AddrPort
	for i, name := range names {
		var o Options
		if opts != nil {
			opts(i, &o)
		}
		nodes[i] = newNode(t, name, ports[i], o)
		addrs = append(addrs, nodes[i].addr)
	}
	for _, n := range nodes {
		n.m.SetPeers(addrs)
		n.start(t)
	}
	return nodes
}

// waitFor polls cond until it holds and returns how long that took.
func waitFor(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > waitLimit {
			t.Fatalf("waited %v for %s", waitLimit, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start)
}

// sees reports whether every node in nodes has exactly want alive.
func sees(nodes []*testNode, want ...string) func() bool {
	slices.Sort(want)
	return func() bool {
		for _, n := range nodes {
			if !slices.Equal(slices.Sorted(maps.Keys(n.m.Alive())), want) {
				return false
			}
		}
		return true
	}
}

// memberlist returns the running memberlist, for tests that poke at it.
func (m *Members) memberlist() *memberlist.Memberlist {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ml
}

func (m *Members) reason() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.trust.why()
}
