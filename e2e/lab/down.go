//go:build linux

package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Down stops everything the lab started and deletes its namespaces: its
// probers, the listeners and connections it serves, the processes it
// started (SIGTERM, then SIGKILL after 3 s), any other process still inside
// one of its namespaces, the namespaces, and its run directory. Down is
// idempotent; calls after the first return nil.
func (l *Lab) Down() error {
	l.mu.Lock()
	if l.down {
		l.mu.Unlock()
		return nil
	}
	l.down = true
	listeners, procs, order, handles := l.listeners, l.procs, l.order, l.ns
	probers := make([]*Prober, 0, len(l.probers))
	for p := range l.probers {
		probers = append(probers, p)
	}
	conns := make([]interface{ Close() error }, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()

	start := time.Now()
	var errs []error
	// Probers first: their threads sit in lab namespaces. Stop takes l.mu,
	// so it runs without it.
	for _, p := range probers {
		p.Stop()
	}
	for _, ln := range listeners {
		_ = ln.Close()
	}
	for _, c := range conns {
		_ = c.Close()
	}
	l.wg.Wait()
	errs = append(errs, stopAll(procs)...)
	// Whatever else runs in a lab namespace (a command someone ran with
	// `ip netns exec` directly, a daemon that forked away) goes too: a
	// namespace with a process in it outlives its name.
	for _, name := range slices.Backward(order) {
		if err := killNSPids(l.NS(name)); err != nil {
			errs = append(errs, err)
		}
	}
	for _, name := range slices.Backward(order) {
		h := handles[name]
		_ = h.Close()
		if err := delNS(l.NS(name)); err != nil {
			errs = append(errs, err)
		}
	}
	if l.runDir != "" {
		if err := os.RemoveAll(l.runDir); err != nil {
			errs = append(errs, fmt.Errorf("remove run dir: %w", err))
		}
	}
	l.log.Info("lab down", "prefix", l.opts.Prefix, "elapsed", time.Since(start).Round(time.Millisecond))
	return errors.Join(errs...)
}

// stopAll stops processes in parallel, so Down waits 3 s at most, not 3 s
// per stubborn process.
func stopAll(procs []*Proc) []error {
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Go(func() { errs[i] = p.Stop() })
	}
	wg.Wait()
	return slices.DeleteFunc(errs, func(err error) bool { return err == nil })
}

// killNSPids sends SIGTERM to every process in the named namespace, and
// SIGKILL to those left after a second.
func killNSPids(ns string) error {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		pids, err := nsPids(ns)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			return nil
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, sig)
		}
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if !slices.ContainsFunc(pids, alive) {
				return nil
			}
		}
	}
	return fmt.Errorf("processes in %s survive SIGKILL", ns)
}

// alive reports whether pid names a process that has not exited. A zombie
// counts as gone: it holds no namespace.
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	i := slices.Index(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] != 'Z'
}

// Sweep removes what a lab with this prefix left behind, e.g. after the
// process that ran it crashed: it kills the processes in every namespace
// whose name starts with prefix, deletes those namespaces, and removes the
// lab's run directories.
func Sweep(prefix string) error {
	if !prefixRE.MatchString(prefix) {
		return fmt.Errorf("sweep: bad prefix %q", prefix)
	}
	names, err := listNS(prefix)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		if err := killNSPids(n); err != nil {
			errs = append(errs, err)
		}
	}
	for _, n := range names {
		if err := delNS(n); err != nil {
			errs = append(errs, err)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"run-*"))
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// SweepDead sweeps the labs of processes that no longer run, for prefixes of
// the form base<pid>- (tests use "ilbt<pid>-"). Labs of running processes are
// left alone, so concurrent test binaries do not disturb each other.
func SweepDead(base string) error {
	re, err := regexp.Compile("^" + regexp.QuoteMeta(base) + `([0-9]+)-`)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	names, err := listNS(base)
	if err != nil {
		return err
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), base+"*-run-*"))
	for _, d := range dirs {
		names = append(names, filepath.Base(d))
	}
	var errs []error
	seen := map[string]bool{}
	for _, n := range names {
		m := re.FindStringSubmatch(n)
		if m == nil || seen[m[0]] {
			continue
		}
		seen[m[0]] = true
		if pid, _ := strconv.Atoi(m[1]); pid == os.Getpid() || alive(pid) {
			continue
		}
		errs = append(errs, Sweep(m[0]))
	}
	return errors.Join(errs...)
}
