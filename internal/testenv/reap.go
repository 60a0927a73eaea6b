package testenv

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// reapOrphans stops control planes that an earlier test binary started and
// left behind: a panic in a goroutine other than the test's ends the process
// without running TestMain's cleanup, and the orphaned apiserver and etcd are
// re-parented to init. Only processes that run a binary from assets, were
// started by envtest (their data lives in a k8s_test_framework_ directory)
// and whose parent is gone are touched; the lab's control plane is not one
// of them.
func reapOrphans(assets string) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	var apiservers, etcds []int
	dirs := map[string]bool{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || parentOf(pid) != 1 {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || filepath.Dir(exe) != filepath.Clean(assets) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte("k8s_test_framework_")) {
			continue
		}
		// Their temporary directories go too: the etcd data and the
		// apiserver's certificates.
		for _, arg := range bytes.Split(cmdline, []byte{0}) {
			_, val, _ := strings.Cut(string(arg), "=")
			if d := frameworkDir(val); d != "" {
				dirs[d] = true
			}
		}
		switch filepath.Base(exe) {
		case "kube-apiserver":
			apiservers = append(apiservers, pid)
		case "etcd":
			etcds = append(etcds, pid)
		}
	}
	// The apiserver first: it hangs in shutdown without its etcd.
	for _, group := range [][]int{apiservers, etcds} {
		for _, pid := range group {
			_ = syscall.Kill(pid, syscall.SIGTERM)
		}
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if !slices.ContainsFunc(group, alive) {
				break
			}
		}
	}
	for d := range dirs {
		_ = os.RemoveAll(d)
	}
}

// frameworkDir returns the k8s_test_framework_* directory under the
// temporary directory that path lies in, or "".
func frameworkDir(path string) string {
	for p := filepath.Clean(path); p != "/" && p != "."; p = filepath.Dir(p) {
		if strings.HasPrefix(filepath.Base(p), "k8s_test_framework_") && filepath.Dir(p) == filepath.Clean(os.TempDir()) {
			return p
		}
	}
	return ""
}

// parentOf reads the parent pid from /proc/PID/stat, or -1.
func parentOf(pid int) int {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return -1
	}
	// The command name (field 2) may hold spaces; fields after it do not.
	rest := string(stat[bytes.LastIndexByte(stat, ')')+1:])
	fields := strings.Fields(rest)
	if len(fields) < 2 {
		return -1
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return -1
	}
	return ppid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }
