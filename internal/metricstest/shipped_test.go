package metricstest

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Root(t), path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDashboardShape: the dashboard loads in Grafana as one ironlb
// dashboard whose every query goes to the chosen Prometheus, and every query
// reads at least one metric.
func TestDashboardShape(t *testing.T) {
	d, err := ParseDashboard(readFile(t, DashboardFile))
	if err != nil {
		t.Fatal(err)
	}
	if d.UID != "ironlb" || d.Title == "" || d.SchemaVersion < 36 {
		t.Errorf("uid %q, title %q, schemaVersion %d; want uid ironlb, a title, schemaVersion 36 or later", d.UID, d.Title, d.SchemaVersion)
	}
	prometheus := Datasource{Type: "prometheus", UID: "${datasource}"}
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
		if v.Name == "datasource" && (v.Type != "datasource" || string(v.Query) != `"prometheus"`) {
			t.Errorf("variable datasource is %s of %s, want a datasource variable of prometheus", v.Type, v.Query)
		}
		if v.Type == "query" && (v.Datasource == nil || *v.Datasource != prometheus) {
			t.Errorf("variable %s queries %v, want the datasource variable", v.Name, v.Datasource)
		}
	}
	if !slices.Contains(vars, "datasource") {
		t.Errorf("variables %v, want a datasource variable", vars)
	}
	ids := map[int]string{}
	var walk func([]Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			if other, ok := ids[p.ID]; ok || p.ID == 0 {
				t.Errorf("panel %q has id %d, as has %q; ids must be unique and set", p.Title, p.ID, other)
			}
			ids[p.ID] = p.Title
			if p.Title == "" || len(p.GridPos) == 0 {
				t.Errorf("panel %d has no title or no gridPos", p.ID)
			}
			if p.Type != "row" && (p.Datasource == nil || *p.Datasource != prometheus || len(p.Targets) == 0) {
				t.Errorf("panel %q: datasource %v, %d queries; want %v and a query", p.Title, p.Datasource, len(p.Targets), prometheus)
			}
			for _, tg := range p.Targets {
				if tg.RefID == "" || tg.Datasource != nil && *tg.Datasource != prometheus {
					t.Errorf("panel %q: a query with refId %q and datasource %v", p.Title, tg.RefID, tg.Datasource)
				}
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	queries, err := Dashboard(readFile(t, DashboardFile))
	if err != nil {
		t.Fatal(err)
	}
	checkQueries(t, queries, 18)
}

// checkQueries proves that every query reads a metric and that, together,
// they read at least min distinct names.
func checkQueries(t *testing.T, queries []Query, min int) {
	t.Helper()
	var all []string
	for _, q := range queries {
		names, err := Names(q.Expr)
		if err != nil || len(names) == 0 {
			t.Errorf("%s: %q reads %v (%v); want at least one metric", q.Where, q.Expr, names, err)
		}
		all = append(all, names...)
	}
	slices.Sort(all)
	if all = slices.Compact(all); len(all) < min {
		t.Errorf("the queries read %d names (%v), want at least %d", len(all), all, min)
	}
}

// TestRulesShape: the PrometheusRule the chart ships has the four alerts,
// each with a duration, a severity, a summary, a description and a runbook
// that docs/metrics.md has a section for.
func TestRulesShape(t *testing.T) {
	r, err := ParseRules(readFile(t, RulesFile))
	if err != nil {
		t.Fatal(err)
	}
	if r.APIVersion != "monitoring.coreos.com/v1" || r.Kind != "PrometheusRule" || r.Metadata.Name != "ironlb" || r.Metadata.Namespace != "ironlb-system" {
		t.Errorf("%s %s %s/%s, want monitoring.coreos.com/v1 PrometheusRule ironlb-system/ironlb", r.APIVersion, r.Kind, r.Metadata.Namespace, r.Metadata.Name)
	}
	doc := string(readFile(t, DocFile))
	var alerts []string
	for _, g := range r.Spec.Groups {
		for _, rule := range g.Rules {
			alerts = append(alerts, rule.Alert)
			if d, err := time.ParseDuration(rule.For); err != nil || d <= 0 {
				t.Errorf("alert %s: for %q, want a duration", rule.Alert, rule.For)
			}
			if s := rule.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("alert %s: severity %q, want warning or critical", rule.Alert, s)
			}
			if rule.Annotations["summary"] == "" || rule.Annotations["description"] == "" {
				t.Errorf("alert %s: a summary and a description are required", rule.Alert)
			}
			anchor := "#" + strings.ToLower(rule.Alert)
			if !strings.HasSuffix(rule.Annotations["runbook_url"], "/docs/metrics.md"+anchor) || !strings.Contains(doc, "### "+rule.Alert+"\n") {
				t.Errorf("alert %s: runbook_url %q, want one ending in docs/metrics.md%s and a section '### %s' there",
					rule.Alert, rule.Annotations["runbook_url"], anchor, rule.Alert)
			}
		}
	}
	want := []string{"IronlbBGPSessionDown", "IronlbPoolExhausted", "IronlbPoolNearlyExhausted", "IronlbServiceNotAnnounced"}
	slices.Sort(alerts)
	if diff := cmp.Diff(want, alerts); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	queries, err := Rules(readFile(t, RulesFile))
	if err != nil {
		t.Fatal(err)
	}
	checkQueries(t, queries, 3)
}

// TestShippedTypoCaught runs the real files through the check with one name
// misspelt everywhere: every query that read it must be reported.
func TestShippedTypoCaught(t *testing.T) {
	for _, f := range []struct {
		path  string
		parse func([]byte) ([]Query, error)
		name  string
	}{
		{DashboardFile, Dashboard, "ironlb_speaker_bgp_session_up"},
		{RulesFile, Rules, "ironlb_pool_addresses"},
	} {
		data := readFile(t, f.path)
		good, err := f.parse(data)
		if err != nil {
			t.Fatal(err)
		}
		series := map[string]bool{}
		for _, q := range good {
			names, _ := Names(q.Expr)
			for _, n := range names {
				series[n] = true
			}
		}
		if !series[f.name] {
			t.Fatalf("%s reads no %s; pick a name it reads", f.path, f.name)
		}
		bad, err := f.parse(bytes.ReplaceAll(data, []byte(f.name), []byte(f.name+"_typo")))
		if err != nil {
			t.Fatal(err)
		}
		missing, _, err := Missing(bad, func(string) bool { return true }, series)
		if err != nil {
			t.Fatal(err)
		}
		if len(missing) == 0 {
			t.Errorf("%s with %s misspelt: nothing reported", f.path, f.name)
		}
		for _, m := range missing {
			if !strings.HasSuffix(m, " reads "+f.name+"_typo") {
				t.Errorf("%s with %s misspelt: %q reported, want only the misspelling", f.path, f.name, m)
			}
		}
	}
}
