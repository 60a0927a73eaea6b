//go:build linux

package lab

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/vishvananda/netns"
)

// netnsDir is where iproute2 keeps named namespaces.
const netnsDir = "/run/netns"

// onThread runs fn on a locked OS thread of its own, so fn may move the thread
// into another network namespace. The thread returns to the namespace it
// started in; if that fails it stays locked and the runtime ends it with the
// goroutine, so no goroutine ever runs on a thread left in a lab namespace.
func onThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("get current netns: %w", err)
			return
		}
		defer orig.Close()
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("return to the original netns (thread discarded): %w", err))
			return // still locked: the thread dies with this goroutine
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// inNS runs fn on an OS thread inside ns. Sockets created by fn stay in ns.
func inNS(ns netns.NsHandle, fn func() error) error {
	return onThread(func() error {
		if err := netns.Set(ns); err != nil {
			return fmt.Errorf("enter netns: %w", err)
		}
		return fn()
	})
}

// addNS creates a named namespace with iproute2, which also makes /run/netns
// a shared mount so that the mount namespaces `ip netns exec` creates see
// the namespace go away when it is deleted. A namespace that exists already
// is an error and is left alone. `ip` is not tied to a context: killed
// halfway, it would leave a namespace that nobody recorded.
func addNS(name string) (netns.NsHandle, error) {
	path := filepath.Join(netnsDir, name)
	if _, err := os.Stat(path); err == nil {
		return netns.None(), fmt.Errorf("netns %s exists already (a crashed lab? see Sweep)", name)
	}
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		return netns.None(), errors.Join(
			fmt.Errorf("ip netns add %s: %w: %s", name, err, strings.TrimSpace(string(out))),
			delNS(name))
	}
	h, err := netns.GetFromPath(path)
	if err != nil {
		return netns.None(), errors.Join(fmt.Errorf("open netns %s: %w", name, err), delNS(name))
	}
	return h, nil
}

// delNS unmounts and removes a named namespace; a missing one is no error.
func delNS(name string) error {
	if _, err := os.Stat(filepath.Join(netnsDir, name)); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := netns.DeleteNamed(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete netns %s: %w", name, err)
	}
	return nil
}

// nsPids lists the processes whose network namespace is the named one, as
// `ip netns pids` does: by comparing namespace inodes.
func nsPids(name string) ([]int, error) {
	var want syscall.Stat_t
	if err := syscall.Stat(filepath.Join(netnsDir, name), &want); err != nil {
		return nil, fmt.Errorf("stat netns %s: %w", name, err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(filepath.Join("/proc", e.Name(), "ns", "net"), &st) != nil {
			continue // gone, or a kernel thread
		}
		if st.Dev == want.Dev && st.Ino == want.Ino {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// listNS returns the names in /run/netns that start with prefix.
func listNS(prefix string) ([]string, error) {
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", netnsDir, err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// sysctls writes net.* settings inside ns. /proc/sys/net resolves to the
// namespace of the thread that opens the file, so they never touch the host.
func sysctls(ns netns.NsHandle, kv ...string) error {
	return inNS(ns, func() error {
		for i := 0; i+1 < len(kv); i += 2 {
			if !strings.HasPrefix(kv[i], "net.") {
				return fmt.Errorf("sysctl %s: only net.* is per namespace", kv[i])
			}
			p := filepath.Join("/proc/sys", strings.ReplaceAll(kv[i], ".", "/"))
			if err := os.WriteFile(p, []byte(kv[i+1]), 0); err != nil {
				return fmt.Errorf("sysctl %s=%s: %w", kv[i], kv[i+1], err)
			}
		}
		return nil
	})
}
