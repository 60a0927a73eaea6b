package metricstest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNames(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`up`, []string{"up"}},
		{`ironlb_pool_addresses{state="assigned", pool=~"$pool"}`, []string{"ironlb_pool_addresses"}},
		{`sum by (result) (rate(ironlb_allocations_total[$__rate_interval]))`, []string{"ironlb_allocations_total"}},
		{`sum(rate(a_total[5m])) by (job) / on (job) group_left (node) b_info`, []string{"a_total", "b_info"}},
		{`histogram_quantile(0.99, sum without (instance) (rate(x_seconds_bucket{le!="+Inf"}[1h30m:1m] offset -5m)))`,
			[]string{"x_seconds_bucket"}},
		{`max by (pool, family) (m{state="assigned"}) / max by (pool, family) (m{state="total"}) > 0.9`, []string{"m"}},
		{`a > bool 1e-3 and b unless c or Inf < NaN`, []string{"a", "b", "c"}},
		{`topk(5, count_values("v", q)) + quantile(0.5, r) + atan2 s`, []string{"q", "r", "s"}},
		{`{__name__="named", job="x"} + 0x1F`, []string{"named"}},
		{`label_replace(src, "dst", "$1", "src", "(.*)") # a comment: not_a_metric`, []string{"src"}},
		{"rec:rule:rate5m @ start() - ${var:raw}", []string{"rec:rule:rate5m"}},
		{`sum(x{a='b\'c', d=` + "`e`" + `})`, []string{"x"}},
		{`vector(1)`, nil},
	}
	for _, tt := range tests {
		got, err := Names(tt.expr)
		if err != nil {
			t.Errorf("Names(%q): %v", tt.expr, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Names(%q) (-want +got):\n%s", tt.expr, diff)
		}
	}
}

func TestNamesErrors(t *testing.T) {
	for _, expr := range []string{
		`rate(x[5m]`,
		`x{a="b"`,
		`x{a="b}`,
		`sum(x))`,
		`x[5m}`,
		`{__name__=~"ironlb_.*"}`,
		`{__name__!="x"}`,
		`rate(x[${interval)`,
	} {
		if got, err := Names(expr); err == nil {
			t.Errorf("Names(%q) = %v, want an error", expr, got)
		}
	}
	if _, err := Names(`x{a="b`); !errors.Is(err, errUnterminated) {
		t.Errorf("an open string: %v, want %v", err, errUnterminated)
	}
}

func FuzzNames(f *testing.F) {
	for _, s := range []string{`sum by (a) (rate(x{b="c"}[5m]))`, `{__name__="x"}`, `1e+`, `$`, `${`, `"\`, `.5`, `0x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		names, err := Names(expr)
		if err != nil {
			return
		}
		for _, n := range names {
			if n == "" {
				t.Errorf("Names(%q) returned an empty name", expr)
			}
		}
	})
}
