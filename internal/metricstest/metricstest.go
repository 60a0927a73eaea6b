// Package metricstest proves that what ironlb ships to watch it names only
// metrics the code exports: every query of the Grafana dashboard and of the
// Prometheus rules, and every metric docs/metrics.md describes. Each
// component's tests register its real metric constructors on a [Registry]
// and call [Check]; a renamed or removed metric then fails the build instead
// of leaving an empty panel or an alert that can never fire.
//
// A component checks the names it owns ([Speaker] or [Controller]), so that
// together the two cover every name the files query; neither can import
// the other's internal packages.
package metricstest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// The files that query or describe metrics, relative to the module root.
const (
	DashboardFile = "config/grafana/ironlb-dashboard.json"
	RulesFile     = "config/prometheus/rules.yaml"
	DocFile       = "docs/metrics.md"
)

// Speaker owns the metrics named ironlb_speaker_*.
func Speaker(name string) bool { return strings.HasPrefix(name, "ironlb_speaker_") }

// Controller owns every other name, so that a name of neither component
// (a typo, a metric of another program) fails the controller's check.
func Controller(name string) bool { return !Speaker(name) }

// Component says what one binary owns and where its code is.
type Component struct {
	// Owns reports whether a metric name is the component's.
	Owns func(name string) bool
	// Source is the directory of its code, relative to the module root: a
	// metric name in its code that the registry lacks means the test
	// registers too little.
	Source string
	// MinQueried is a floor on the distinct names the dashboard and the
	// rules read from the component, so that an extractor that finds
	// nothing cannot pass.
	MinQueried int
}

// Check fails t when the dashboard or the rules read a metric the component
// owns and reg does not export, when docs/metrics.md omits a metric reg
// exports or describes one of the component's that it does not, and when
// the component's code names a metric reg lacks.
func Check(t *testing.T, reg *Registry, c Component) {
	t.Helper()
	root := Root(t)
	series := reg.Series()
	var queries []Query
	for _, f := range []struct {
		path  string
		parse func([]byte) ([]Query, error)
	}{{DashboardFile, Dashboard}, {RulesFile, Rules}} {
		qs, err := f.parse(read(t, root, f.path))
		if err != nil {
			t.Fatalf("%s: %v", f.path, err)
		}
		queries = append(queries, qs...)
	}
	missing, owned, err := Missing(queries, c.Owns, series)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range missing {
		t.Errorf("%s, which the code does not export", m)
	}
	if len(owned) < c.MinQueried {
		t.Errorf("the dashboard and rules read %d of the component's metrics (%v), want at least %d", len(owned), owned, c.MinQueried)
	}

	doc := string(read(t, root, DocFile))
	for _, name := range reg.Names() {
		if !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("%s does not describe %s", DocFile, name)
		}
	}
	for _, name := range Mentioned(doc) {
		if c.Owns(name) && !series[name] {
			t.Errorf("%s describes %s, which the code does not export", DocFile, name)
		}
	}

	for _, name := range sourceNames(t, filepath.Join(root, c.Source)) {
		if !slices.Contains(reg.Names(), name) {
			t.Errorf("%s names metric %s, which the test does not register: register every constructor", c.Source, name)
		}
	}
}

// Missing returns, for every name a query reads that owns claims and series
// lacks, where it is read; and the distinct names owned that the queries
// read.
func Missing(queries []Query, owns func(string) bool, series map[string]bool) (missing, owned []string, err error) {
	for _, q := range queries {
		names, err := Names(q.Expr)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %q: %w", q.Where, q.Expr, err)
		}
		for _, n := range names {
			if !owns(n) {
				continue
			}
			owned = append(owned, n)
			if !series[n] {
				missing = append(missing, fmt.Sprintf("%s reads %s", q.Where, n))
			}
		}
	}
	slices.Sort(owned)
	return missing, slices.Compact(owned), nil
}

var mentioned = regexp.MustCompile(`\bironlb_[a-z0-9_]*[a-z0-9]`)

// Mentioned returns the ironlb metric names a text mentions.
func Mentioned(text string) []string {
	names := mentioned.FindAllString(text, -1)
	slices.Sort(names)
	return slices.Compact(names)
}

// sourceNames returns the ironlb metric names string literals in the
// non-test Go files under dir spell.
func sourceNames(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, lit := range literal.FindAllSubmatch(src, -1) {
			names = append(names, string(lit[1]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

var literal = regexp.MustCompile(`"(ironlb_[a-z0-9_]+)"`)

// Root returns the module root: the nearest directory up from the working
// directory whose go.mod declares github.com/ironlb/ironlb.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(mod, []byte("module github.com/ironlb/ironlb\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod of github.com/ironlb/ironlb above the working directory")
		}
		dir = parent
	}
}

func read(t *testing.T, root, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Registry is a fresh Prometheus registry that remembers its collectors, so
// that a test can list every metric they describe, vectors that have no
// series yet included (a Gather would leave those out).
type Registry struct {
	*prometheus.Registry
	collectors []prometheus.Collector
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry { return &Registry{Registry: prometheus.NewRegistry()} }

// Register registers c and remembers it.
func (r *Registry) Register(c prometheus.Collector) error {
	if err := r.Registry.Register(c); err != nil {
		return err
	}
	r.collectors = append(r.collectors, c)
	return nil
}

// MustRegister registers cs, and panics on the first error.
func (r *Registry) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// Unregister unregisters c and forgets it.
func (r *Registry) Unregister(c prometheus.Collector) bool {
	r.collectors = slices.DeleteFunc(r.collectors, func(x prometheus.Collector) bool { return x == c })
	return r.Registry.Unregister(c)
}

// Names returns the names of the metric families the collectors describe,
// sorted.
func (r *Registry) Names() []string {
	var names []string
	for _, c := range r.collectors {
		names = append(names, describe(c)...)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Series returns the names a query may read: every family, and for
// histograms and summaries their _bucket, _sum and _count series.
func (r *Registry) Series() map[string]bool {
	series := map[string]bool{}
	for _, c := range r.collectors {
		_, observer := c.(prometheus.Observer)
		_, observerVec := c.(prometheus.ObserverVec)
		for _, name := range describe(c) {
			series[name] = true
			if observer || observerVec {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					series[name+suffix] = true
				}
			}
		}
	}
	return series
}

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// describe returns the names of the metrics c describes.
func describe(c prometheus.Collector) []string {
	ch := make(chan *prometheus.Desc)
	go func() {
		c.Describe(ch)
		close(ch)
	}()
	var names []string
	for d := range ch {
		// Desc keeps its name unexported; its String shows it.
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			names = append(names, m[1])
		}
	}
	return names
}
