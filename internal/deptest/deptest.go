// Package deptest proves that a package stays pure: its tests call
// [StdlibOnly] or [Forbid], which ask the go command for the package's
// transitive imports and fail on any that are not allowed.
//
// Purity is a design rule (DESIGN.md §2): the allocator, the election and the
// planner must run in a CLI or a fuzz test without Kubernetes, GoBGP or raw
// sockets. A test keeps the rule from eroding one convenient import at a time.
package deptest

import (
	"bufio"
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// Deps returns the transitive imports of the package pattern, one per element,
// excluding the package itself, as reported by `go list -deps`.
func Deps(t testing.TB, pkg string) []string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
	if err != nil {
		var stderr string
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr)
	}
	var deps []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if p := strings.TrimSpace(sc.Text()); p != "" && p != pkg {
			deps = append(deps, p)
		}
	}
	return deps
}

// StdlibOnly fails the test if pkg imports anything outside the standard
// library, except packages under one of the allowed prefixes (for example
// another pure package of this module).
func StdlibOnly(t testing.TB, pkg string, allowed ...string) {
	t.Helper()
	for _, d := range Deps(t, pkg) {
		if !hasAnyPrefix(d, allowed) {
			t.Errorf("%s imports %s; it must depend on the standard library only", pkg, d)
		}
	}
}

// Forbid fails the test if pkg imports any package under one of the
// forbidden prefixes.
func Forbid(t testing.TB, pkg string, forbidden ...string) {
	t.Helper()
	for _, d := range Deps(t, pkg) {
		if hasAnyPrefix(d, forbidden) {
			t.Errorf("%s imports %s, which it must not", pkg, d)
		}
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if s == p || strings.HasPrefix(s, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}
