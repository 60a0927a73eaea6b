//go:build linux

package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/vishvananda/netns"
)

// Lab is a running lab. Its methods are safe for concurrent use.
type Lab struct {
	opts   Options
	log    logr.Logger
	runDir string // short and owned by frr: sockets, pid files, router configs

	mu        sync.Mutex
	down      bool
	ns        map[string]netns.NsHandle // short name → handle
	order     []string                  // short names in creation order
	procs     []*Proc
	listeners []net.Listener
	conns     map[net.Conn]struct{}
	api       apiPath
	wg        sync.WaitGroup // goroutines serving listeners and connections
	frr       *frr
	bird      *Proc
	probers   map[*Prober]struct{} // running; Down stops them
}

// Up builds the lab: namespaces, links, addresses, routes, the routers, the
// pod backends and the apiserver forwarders. If anything fails, Up removes
// what it created before it returns the error.
func Up(ctx context.Context, o Options) (_ *Lab, err error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("lab options: %w", err)
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("lab: needs root")
	}
	start := time.Now()
	l := &Lab{opts: o, log: o.Log, ns: map[string]netns.NsHandle{}, conns: map[net.Conn]struct{}{}}
	defer func() {
		if err != nil {
			if derr := l.Down(); derr != nil {
				err = errors.Join(err, fmt.Errorf("clean up after the failed start: %w", derr))
			}
		}
	}()
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("lab dir: %w", err)
	}
	if l.runDir, err = makeRunDir(o.Prefix); err != nil {
		return nil, err
	}
	if err := l.buildNetwork(ctx); err != nil {
		return nil, err
	}
	l.log.Info("network ready", "prefix", o.Prefix, "nodes", o.nodes(), "elapsed", time.Since(start).Round(time.Millisecond))
	if err := l.startRouters(ctx); err != nil {
		return nil, err
	}
	if err := l.startBackends(); err != nil {
		return nil, err
	}
	if o.APIServer.IsValid() {
		if err := l.startForwarders(); err != nil {
			return nil, err
		}
	}
	l.log.Info("lab up", "prefix", o.Prefix, "dir", o.Dir, "elapsed", time.Since(start).Round(time.Millisecond))
	return l, nil
}

// makeRunDir creates the directory for the routers' sockets, pid files and
// configurations. It is not under Options.Dir for two reasons: FRR runs as
// user frr and creates its pid file and sockets there, which fails under a
// t.TempDir() (mode 0700, owned by root: "Can't create pid lock file …
// Permission denied"), and a unix socket path is at most 107 bytes.
func makeRunDir(prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix+"run-")
	if err != nil {
		return "", fmt.Errorf("run dir: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return dir, fmt.Errorf("run dir: %w", err)
	}
	uid, gid, err := frrIDs()
	if err != nil {
		return dir, err
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return dir, fmt.Errorf("run dir: %w", err)
	}
	return dir, nil
}

// frrIDs looks up the user and group the FRR daemons run as.
func frrIDs() (uid, gid int, err error) {
	u, err := user.Lookup("frr")
	if err != nil {
		return 0, 0, fmt.Errorf("user frr (is FRR installed? see hack/labdeps.sh): %w", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, nil
}

// Options returns the options the lab was started with.
func (l *Lab) Options() Options { return l.opts }

// Nodes is the number of nodes.
func (l *Lab) Nodes() int { return l.opts.nodes() }

// NS returns the full namespace name of a lab member (node1, router, …),
// for `ip netns exec`.
func (l *Lab) NS(name string) string { return l.opts.Prefix + name }

// RunDir holds the routers' configurations, sockets and pid files.
func (l *Lab) RunDir() string { return l.runDir }

// handle returns the namespace handle of a lab member.
func (l *Lab) handle(name string) (netns.NsHandle, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down {
		return netns.None(), errors.New("lab is down")
	}
	h, ok := l.ns[name]
	if !ok {
		return netns.None(), fmt.Errorf("no namespace %q in the lab", name)
	}
	return h, nil
}

// Start runs a command in a lab namespace (e.g. node1) in the background.
// Its output goes to Dir/name.log. Down stops it if it still runs.
func (l *Lab) Start(ns, name string, args ...string) (*Proc, error) {
	if _, err := l.handle(ns); err != nil {
		return nil, err
	}
	if strings.ContainsRune(name, '/') || name == "" {
		return nil, fmt.Errorf("start: bad process name %q", name)
	}
	p, err := startProc(l.opts.Dir, l.NS(ns), name, args...)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down { // Down ran meanwhile and will not see p
		_ = p.Kill()
		return nil, errors.New("lab is down")
	}
	// Forget processes that have exited so restarts do not pile up.
	l.procs = slices.DeleteFunc(l.procs, func(q *Proc) bool { return !q.Running() })
	l.procs = append(l.procs, p)
	return p, nil
}

// Exec runs a command in a lab namespace and returns its combined output; on
// failure the error includes the output.
func (l *Lab) Exec(ctx context.Context, ns string, args ...string) ([]byte, error) {
	if _, err := l.handle(ns); err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, errors.New("exec: no command")
	}
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.NS(ns)}, args...)...)
	// Kill the whole group on cancellation: a shell's children must not
	// outlive it in a namespace that is about to be deleted.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s in %s: %w: %s", strings.Join(args, " "), ns, err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// LogPath is the log file of a process started under name.
func (l *Lab) LogPath(name string) string { return filepath.Join(l.opts.Dir, name+".log") }
