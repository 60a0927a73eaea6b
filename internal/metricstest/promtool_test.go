package metricstest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// promtool returns the path of promtool (Debian's prometheus package, which
// hack/labdeps.sh installs for make test). Missing, the test fails: a
// skipped check of the alerts would pass unnoticed.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not installed: run hack/labdeps.sh (Debian package prometheus)")
	}
	return p
}

// writeGroups writes rule groups as a Prometheus rule file in dir.
func writeGroups(t *testing.T, dir string, groups any) string {
	t.Helper()
	b, err := yaml.Marshal(map[string]any{"groups": groups})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), name, args...).CombinedOutput()
	if err != nil {
		t.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// TestRulesPromtool runs the alerts' unit tests (rules_test.yaml beside
// rules.yaml): each alert fires on the series it is meant for, after its
// duration, with its labels and text.
func TestRulesPromtool(t *testing.T) {
	bin := promtool(t)
	r, err := ParseRules(readFile(t, RulesFile))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeGroups(t, dir, r.Spec.Groups)
	tests := filepath.Join(dir, "rules_test.yaml")
	if err := os.WriteFile(tests, readFile(t, filepath.Join(filepath.Dir(RulesFile), "rules_test.yaml")), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, bin, "test", "rules", tests)
}

// TestDashboardPromtool has Prometheus parse every dashboard query, as a
// recording rule, with Grafana's variables replaced by values.
func TestDashboardPromtool(t *testing.T) {
	bin := promtool(t)
	queries, err := Dashboard(readFile(t, DashboardFile))
	if err != nil {
		t.Fatal(err)
	}
	vars := strings.NewReplacer("$__rate_interval", "5m", "$pool", "lab", "$speaker", "node1")
	var rules []map[string]string
	for i, q := range queries {
		rules = append(rules, map[string]string{"record": fmt.Sprintf("dashboard:query_%d", i), "expr": vars.Replace(q.Expr)})
	}
	path := writeGroups(t, t.TempDir(), []any{map[string]any{"name": "dashboard", "rules": rules}})
	run(t, bin, "check", "rules", path)
}
