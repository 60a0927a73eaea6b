package members

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
)

// childEnv, when set, makes the test binary run one member as the child of
// TestFreeze instead of running tests. Its value is "name port peer...".
const childEnv = "IRONLB_MEMBERS_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	os.Exit(m.Run())
}

// runChild runs one member and reports on stdout, one line each:
//
//	trusted=<bool> [reason=<why>] whenever Trusted changes
//	lost <log line>              whenever trust is lost, and why
//	armed                        after the parent wrote "arm"
//	resumed gap=<d> trusted=<b>  once armed, every poll after a gap of more
//	                             than 300 ms: the process was frozen, or
//	                             starved on a loaded machine
//
// It leaves and exits when its stdin closes.
func runChild(spec string) int {
	fields := strings.Fields(spec)
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf(format+"\n", args...)
	}
	log := funcr.New(func(_, args string) {
		if strings.Contains(args, "Trust lost") {
			say("lost %s", args)
		}
	}, funcr.Options{})
	var port int
	if _, err := fmt.Sscan(fields[1], &port); err != nil {
		fmt.Fprintln(os.Stderr, "port:", err)
		return 2
	}
	m, err := New(log, Options{NodeName: fields[0], BindAddr: netip.MustParseAddr("127.0.0.1"), Port: port})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var peers []netip.AddrPort
	for _, p := range fields[2:] {
		peers = append(peers, netip.MustParseAddrPort(p))
	}
	m.SetPeers(peers)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	cmds := make(chan string)
	go func() {
		defer close(cmds)
		for in := bufio.NewScanner(os.Stdin); in.Scan(); {
			cmds <- in.Text()
		}
	}()

	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	last, trusted, armed := time.Now(), false, false
	for {
		select {
		case cmd, ok := <-cmds:
			if !ok {
				cancel()
				if err := <-done; err != nil {
					fmt.Fprintln(os.Stderr, err)
					return 1
				}
				return 0
			}
			if cmd == "arm" {
				armed = true
				say("armed")
			}
		case <-poll.C:
			now := time.Now()
			gap := now.Sub(last)
			last = now
			t := m.Trusted()
			if armed && gap > 300*time.Millisecond {
				say("resumed gap=%v trusted=%v", gap, t)
			}
			if t != trusted {
				trusted = t
				if t {
					say("trusted=true")
				} else {
					say("trusted=false reason=%s", m.reason())
				}
			}
		}
	}
}

// TestFreeze stops a member's process with SIGSTOP until the others declare
// it dead, resumes it with SIGCONT, and checks that it does not trust itself
// on resuming, and trusts itself again only once the others see it alive.
func TestFreeze(t *testing.T) {
	ports := freePorts(t, 3)
	a := newNode(t, "a", ports[0], Options{})
	b := newNode(t, "b", ports[1], Options{})
	cAddr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(ports[2]))
	all := []netip.AddrPort{a.addr, b.addr, cAddr}
	for _, n := range []*testNode{a, b} {
		n.m.SetPeers(all)
		n.start(t)
	}

	child, lines := startChild(t, fmt.Sprintf("c %d %v %v", ports[2], a.addr, b.addr))
	expect(t, lines, "c to trust itself", "trusted=true")
	waitFor(t, "every member to see a, b and c", sees([]*testNode{a, b}, "a", "b", "c"))

	fmt.Fprintln(child.stdin, "arm")
	expect(t, lines, "c to arm", "armed")
	stopped := time.Now()
	if err := syscall.Kill(child.pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP child %d: %v", child.pid, err)
	}
	child.stopped = true
	took := waitFor(t, "a and b to declare the frozen c dead", sees([]*testNode{a, b}, "a", "b"))
	t.Logf("c frozen; a and b declared it dead after %v", took)

	if err := syscall.Kill(child.pid, syscall.SIGCONT); err != nil {
		t.Fatalf("SIGCONT child %d: %v", child.pid, err)
	}
	resumed := time.Now()
	// The first poll after the freeze sees a gap at least as long as the
	// freeze; shorter gaps were hiccups before it. Lines before that poll
	// may also predate the freeze, so only reasons are collected there.
	frozen := resumed.Sub(stopped)
	var reasons []string
	for noticed := false; ; {
		l := expect(t, lines, "c to notice its freeze and trust itself again", "")
		if _, why, ok := strings.Cut(l, `"reason"=`); ok && strings.HasPrefix(l, "lost ") {
			reasons = append(reasons, why)
		}
		if noticed && l == "trusted=true" {
			break
		}
		f := strings.Fields(l) // resumed gap=<d> trusted=<b>
		if len(f) < 3 || f[0] != "resumed" || noticed {
			continue
		}
		gap, err := time.ParseDuration(strings.TrimPrefix(f[1], "gap="))
		if err != nil {
			t.Fatalf("parse %q: %v", l, err)
		}
		if gap < frozen*9/10 {
			continue
		}
		noticed = true
		if f[2] != "trusted=false" {
			t.Errorf("c trusted itself on its first poll after a freeze of %v: %q", frozen, l)
		}
	}
	t.Logf("c resumed; it trusted itself again after %v; it lost trust for: %s", time.Since(resumed), strings.Join(reasons, "; "))
	for _, n := range []*testNode{a, b} {
		if _, ok := n.m.memberlistMembers()["c"]; !ok {
			t.Errorf("c trusts itself again before %s sees it alive", n.name)
		}
	}
	waitFor(t, "a and b to see c again", sees([]*testNode{a, b}, "a", "b", "c"))
}

type childProc struct {
	pid     int
	stdin   *os.File
	stopped bool
}

// startChild runs this test binary as a child member. Cleanup resumes it if
// stopped, closes its stdin so that it leaves, and kills it, by its PID only,
// if it has not exited within 10 s.
func startChild(t *testing.T, spec string) (*childProc, <-chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+spec)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, childIn, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = stdin
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	_ = stdin.Close()
	c := &childProc{pid: cmd.Process.Pid, stdin: childIn}
	lines := make(chan string)
	var all []string
	quit, read := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(read)
		for s := bufio.NewScanner(out); s.Scan(); {
			all = append(all, s.Text())
			select {
			case lines <- s.Text():
			case <-quit: // the test is over; keep the rest for the log
			}
		}
	}()
	t.Cleanup(func() {
		if c.stopped {
			_ = syscall.Kill(c.pid, syscall.SIGCONT)
		}
		_ = childIn.Close()
		close(quit)
		exited := make(chan error, 1)
		go func() { <-read; exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("child: %v", err)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("child did not exit; killed it: %v", <-exited)
		}
		if t.Failed() {
			t.Logf("child stdout:\n%s\nchild stderr:\n%s", strings.Join(all, "\n"), stderr.String())
		}
	})
	return c, lines
}

// expect reads lines until one starts with prefix, and returns it.
func expect(t *testing.T, lines <-chan string, what, prefix string) string {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case l := <-lines:
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-deadline:
			t.Fatalf("waited %v for %s (a line starting %q)", waitLimit, what, prefix)
		}
	}
}
