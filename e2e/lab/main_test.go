//go:build linux

package lab

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestMain removes the labs of earlier test binaries that crashed before
// their cleanup ran.
func TestMain(m *testing.M) {
	if os.Geteuid() == 0 {
		if err := SweepDead(testPrefixBase); err != nil {
			fmt.Fprintln(os.Stderr, "sweep labs of dead test binaries:", err)
		}
	}
	os.Exit(m.Run())
}

// netipCmp compares netip values by value in cmp.Diff.
var netipCmp = cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})

// testPrefixBase starts every test lab's prefix; the pid after it lets
// SweepDead tell a crashed binary's labs from a running one's.
const testPrefixBase = "ilbt"

var labSeq atomic.Int32

// testPrefix is a prefix no other lab of this or another test binary uses.
func testPrefix() string {
	return fmt.Sprintf("%s%d-%c-", testPrefixBase, os.Getpid(), 'a'+labSeq.Add(1)-1)
}

// requireLab skips the test unless it can build a lab: root, iproute2, FRR
// and BIRD (hack/labdeps.sh installs them).
func requireLab(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the lab needs root (network namespaces)")
	}
	for _, tool := range []string{"ip", "vtysh", "bird", "birdc", frrBin + "/zebra", frrBin + "/bgpd", "ping"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the lab needs %s: run hack/labdeps.sh", tool)
		}
	}
}

// up starts a lab for one test and removes it when the test ends.
func up(t *testing.T, o Options) *Lab {
	t.Helper()
	requireLab(t)
	if o.Prefix == "" {
		o.Prefix = testPrefix()
	}
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	l, err := Up(t.Context(), o)
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Down(); err != nil {
			t.Errorf("Down: %v", err)
		}
	})
	return l
}
