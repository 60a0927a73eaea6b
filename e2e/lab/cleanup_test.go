//go:build linux

package lab

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// leftovers lists what a lab with this prefix left: namespaces, run
// directories, and processes whose command line names the prefix.
func leftovers(t *testing.T, prefix string) []string {
	t.Helper()
	var left []string
	names, err := listNS(prefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		left = append(left, "netns "+n)
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"run-*"))
	for _, d := range dirs {
		left = append(left, "dir "+d)
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() || !alive(pid) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if strings.Contains(string(cmdline), prefix) {
			left = append(left, fmt.Sprintf("process %d %q", pid, strings.ReplaceAll(string(cmdline), "\x00", " ")))
		}
	}
	return left
}

// stray starts a process in a namespace behind the lab's back, as a test
// that calls `ip netns exec` itself would. The channel is closed when it
// has exited.
func stray(t *testing.T, ns string) <-chan struct{} {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, "sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait() // reap it, so it does not linger as a zombie
		close(done)
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return done
}

func exited(t *testing.T, what string, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Errorf("%s still runs", what)
	}
}

func TestDownRemovesEverything(t *testing.T) {
	requireLab(t)
	prefix := testPrefix()
	l, err := Up(t.Context(), Options{Prefix: prefix, Dir: t.TempDir(), Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Down() })
	sleeper, err := l.Start(NodeName(1), "sleeper", "sleep", "1000")
	if err != nil {
		t.Fatal(err)
	}
	strayDone := stray(t, l.NS(Client))
	// A prober left running: its thread sits in client2.
	prober, err := l.StartProber(Client2, netip.AddrPortFrom(NodeLAN2Addr(1, 4), PodPort), 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(leftovers(t, prefix)) == 0 {
		t.Fatal("leftovers finds nothing of a running lab")
	}
	start := time.Now()
	if err := l.Down(); err != nil {
		t.Fatalf("Down: %v", err)
	}
	t.Logf("Down took %v", time.Since(start))
	if left := leftovers(t, prefix); len(left) > 0 {
		t.Errorf("after Down:\n%s", strings.Join(left, "\n"))
	}
	exited(t, "a process the lab started", sleeper.Done())
	exited(t, "a process started in a lab namespace behind its back", strayDone)
	exited(t, "a prober", prober.Done())
	if err := l.Down(); err != nil {
		t.Errorf("second Down: %v", err)
	}
	if _, err := l.Exec(t.Context(), NodeName(1), "true"); err == nil {
		t.Error("Exec after Down succeeded")
	}
	if _, err := l.Start(NodeName(1), "late", "true"); err == nil {
		t.Error("Start after Down succeeded")
	}
	if _, err := l.Listen(NodeName(1), "tcp", "127.0.0.1:0"); err == nil {
		t.Error("Listen after Down succeeded")
	}
	if _, err := l.StartProber(Client, netip.AddrPortFrom(NodeAddr(1, 4), PodPort), time.Second); err == nil {
		t.Error("StartProber after Down succeeded")
	}
}

func TestFailedUpCleansUp(t *testing.T) {
	requireLab(t)
	prefix := testPrefix()
	t.Cleanup(func() { _ = Sweep(prefix) })

	// A namespace that is in the way makes Up fail after it created
	// several others; only the one that was there before may remain.
	inTheWay := prefix + NodeName(2)
	if out, err := exec.Command("ip", "netns", "add", inTheWay).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	if _, err := Up(t.Context(), Options{Prefix: prefix, Dir: t.TempDir()}); err == nil {
		t.Fatal("Up succeeded with a namespace in the way")
	}
	if left := leftovers(t, prefix); len(left) != 1 || left[0] != "netns "+inTheWay {
		t.Errorf("after a failed Up: %q, want only %s", left, inTheWay)
	}
	if err := delNS(inTheWay); err != nil {
		t.Fatal(err)
	}

	// Cancelled once the network stands and the routers are starting.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		last := filepath.Join(netnsDir, prefix+PodName(3))
		for ctx.Err() == nil {
			if _, err := os.Stat(last); err == nil {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	if _, err := Up(ctx, Options{Prefix: prefix, Dir: t.TempDir()}); err == nil {
		t.Fatal("Up succeeded with a cancelled context")
	} else {
		t.Logf("cancelled Up: %v", err)
	}
	if left := leftovers(t, prefix); len(left) > 0 {
		t.Errorf("after a cancelled Up:\n%s", strings.Join(left, "\n"))
	}

	// The same prefix works again.
	l, err := Up(t.Context(), Options{Prefix: prefix, Dir: t.TempDir(), Nodes: 1})
	if err != nil {
		t.Fatalf("Up after failed ones: %v", err)
	}
	if err := l.Down(); err != nil {
		t.Fatal(err)
	}
}

func TestSweep(t *testing.T) {
	requireLab(t)
	prefix := testPrefix()
	// What a crashed lab leaves: namespaces with processes, a run dir.
	var strays []<-chan struct{}
	for _, n := range []string{"node1", "router"} {
		if out, err := exec.Command("ip", "netns", "add", prefix+n).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add: %v: %s", err, out)
		}
		strays = append(strays, stray(t, prefix+n))
	}
	if _, err := os.MkdirTemp("", prefix+"run-"); err != nil {
		t.Fatal(err)
	}
	// A live lab of this process with a longer prefix, and a crashed one
	// of a process that cannot exist (its pid is above pid_max).
	live := fmt.Sprintf("%s%d-live-", testPrefixBase, os.Getpid())
	maxPid, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(maxPid)))
	dead := fmt.Sprintf("%s%d-", testPrefixBase, n+1)
	for _, ns := range []string{live + "x", dead + "x"} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add: %v: %s", err, out)
		}
		t.Cleanup(func() { _ = delNS(ns) })
	}

	if err := Sweep(prefix); err != nil {
		t.Fatal(err)
	}
	if left := leftovers(t, prefix); len(left) > 0 {
		t.Errorf("after Sweep:\n%s", strings.Join(left, "\n"))
	}
	for _, done := range strays {
		exited(t, "a process in a swept namespace", done)
	}
	if err := SweepDead(testPrefixBase); err != nil {
		t.Fatal(err)
	}
	if left := leftovers(t, dead); len(left) > 0 {
		t.Errorf("SweepDead left the dead lab: %q", left)
	}
	if left := leftovers(t, live); len(left) != 1 {
		t.Errorf("SweepDead touched the live lab: %q left, want its namespace", left)
	}
	if err := Sweep("ilb"); err == nil {
		t.Error("Sweep accepted a prefix without a dash")
	}
}
