//go:build linux

// Package e2e tests ironlb as a black box on the lab: real control plane,
// real routers (FRR, BIRD) in network namespaces, a real kube-proxy and the
// speaker and controller binaries on every node. Each test asserts what the
// routers and clients see.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"

	"github.com/ironlb/ironlb/e2e/cluster"
	"github.com/ironlb/ironlb/e2e/lab"
)

// c is the cluster every test of the package shares; tests use their own
// namespaces and Services and put back what they change.
var c *cluster.Cluster

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	// No silent skip: a lab that cannot run is a failure (make test
	// installs what the lab needs; see hack/labdeps.sh).
	if why := unsupported(); why != "" {
		fmt.Fprintln(os.Stderr, "e2e: cannot run the lab:", why)
		return 1
	}
	dir, err := os.MkdirTemp("", "ironlb-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// IRONLB_E2E_KEEP=1 keeps the logs of a run that passed too.
	keep := os.Getenv("IRONLB_E2E_KEEP") != ""
	defer func() {
		if !keep {
			os.RemoveAll(dir)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := cluster.Build(ctx, filepath.Join(dir, "bin"), os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	// "it<pid>-" fits the lab's 10-character prefix for any PID, and lets a
	// later run sweep the lab of a test binary that was killed.
	prefix := "it" + strconv.Itoa(os.Getpid()) + "-"
	if err := lab.SweepDead("it"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: sweep:", err)
	}
	c, err = cluster.Up(ctx, cluster.Options{Prefix: prefix, Dir: dir, Bin: filepath.Join(dir, "bin"), Log: progress()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: bring up the lab:", err)
		return 1
	}
	code := func() int {
		defer func() {
			if err := c.Down(); err != nil {
				fmt.Fprintln(os.Stderr, "e2e: tear down the lab:", err)
			}
		}()
		if err := c.ApplyLabConfig(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: lab config:", err)
			return 1
		}
		return m.Run()
	}()
	// Everything ran under the RBAC of config/: a request it refused shows
	// in a component's log, and fails the suite even when no test noticed.
	if denied := deniedInLogs(dir); len(denied) > 0 {
		fmt.Fprintln(os.Stderr, "e2e: the install's RBAC or admission policy refused requests of ironlb's components:")
		for _, l := range denied {
			fmt.Fprintln(os.Stderr, "  ", l)
		}
		code = 1
	}
	if code != 0 || keep {
		// The logs of every daemon tell what went wrong; keep them.
		keep = true
		fmt.Fprintln(os.Stderr, "e2e: logs kept in", dir)
	}
	return code
}

// deniedInLogs returns the lines of the controller's and speakers' logs that
// report a request refused by RBAC or admission.
func deniedInLogs(dir string) []string {
	logs, _ := filepath.Glob(filepath.Join(dir, "controller.log"))
	speakers, _ := filepath.Glob(filepath.Join(dir, "speaker-*.log"))
	var out []string
	for _, f := range append(logs, speakers...) {
		data, err := os.ReadFile(f)
		if err != nil {
			out = append(out, err.Error())
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			// RBAC says `... is forbidden: User "..." cannot ...`; an
			// admission policy `... denied request: ...`. Other refusals
			// (an Event into a namespace being deleted) are not the
			// install's.
			// TestProbes runs a speaker as probeAccount without RBAC on
			// purpose.
			if (strings.Contains(l, "is forbidden: User") || strings.Contains(l, "denied request")) &&
				!strings.Contains(l, ":"+probeAccount+`\"`) {
				if len(l) > 300 {
					l = l[:300] + "..."
				}
				out = append(out, filepath.Base(f)+": "+l)
			}
		}
	}
	return out
}

// unsupported says why the lab cannot run here, or "".
func unsupported() string {
	if os.Geteuid() != 0 {
		return "needs root (network namespaces)"
	}
	for _, tool := range []string{"ip", "vtysh", "bird", "birdc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " not installed: run hack/labdeps.sh"
		}
	}
	return ""
}

func progress() logr.Logger {
	return funcr.New(func(prefix, args string) {
		fmt.Fprintln(os.Stderr, "e2e:", prefix, args)
	}, funcr.Options{})
}
