package metricstest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// Query is one PromQL expression of a shipped file, and where it stands.
type Query struct {
	Where string
	Expr  string
}

// DashboardJSON is the part of a Grafana dashboard that holds queries.
type DashboardJSON struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []Panel `json:"panels"`
	Templating    struct {
		List []Variable `json:"list"`
	} `json:"templating"`
}

// Panel is a dashboard panel; a collapsed row holds its panels.
type Panel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource *Datasource     `json:"datasource"`
	Targets    []Target        `json:"targets"`
	Panels     []Panel         `json:"panels"`
	GridPos    json.RawMessage `json:"gridPos"`
}

// Target is one query of a panel.
type Target struct {
	RefID        string      `json:"refId"`
	Expr         string      `json:"expr"`
	LegendFormat string      `json:"legendFormat"`
	Datasource   *Datasource `json:"datasource"`
}

// Datasource names a panel's or a variable's data source.
type Datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Variable is a templating variable. A query variable's query is a string
// or an object with a "query" field, depending on the Grafana version that
// saved it.
type Variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource *Datasource     `json:"datasource"`
}

// ParseDashboard reads a dashboard.
func ParseDashboard(data []byte) (*DashboardJSON, error) {
	var d DashboardJSON
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// Dashboard returns the queries of a Grafana dashboard: every panel
// target's expression, and what each query variable reads.
func Dashboard(data []byte) ([]Query, error) {
	d, err := ParseDashboard(data)
	if err != nil {
		return nil, err
	}
	var qs []Query
	var walk func([]Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			for _, t := range p.Targets {
				qs = append(qs, Query{Where: fmt.Sprintf("panel %q query %s", p.Title, t.RefID), Expr: t.Expr})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	var errs []error
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, err := variableQuery(v.Query)
		if err != nil {
			errs = append(errs, fmt.Errorf("variable %q: %w", v.Name, err))
			continue
		}
		if q != "" {
			qs = append(qs, Query{Where: fmt.Sprintf("variable %q", v.Name), Expr: q})
		}
	}
	return qs, errors.Join(errs...)
}

// variableQuery returns the PromQL a Prometheus query variable reads; ""
// for label_values(label), which reads no metric.
func variableQuery(raw json.RawMessage) (string, error) {
	var q string
	if err := json.Unmarshal(raw, &q); err != nil {
		var obj struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return "", fmt.Errorf("query is neither a string nor an object with a query: %w", err)
		}
		q = obj.Query
	}
	q = strings.TrimSpace(q)
	call := func(fn string) (string, bool) {
		if rest, ok := strings.CutPrefix(q, fn+"("); ok && strings.HasSuffix(rest, ")") {
			return strings.TrimSuffix(rest, ")"), true
		}
		return "", false
	}
	if args, ok := call("label_values"); ok {
		// label_values(expr, label) or label_values(label).
		i := strings.LastIndexByte(args, ',')
		if i < 0 {
			return "", nil
		}
		return args[:i], nil
	}
	if expr, ok := call("query_result"); ok {
		return expr, nil
	}
	return "", fmt.Errorf("unsupported variable query %q: use label_values or query_result", q)
}

// PrometheusRule is the part of a monitoring.coreos.com/v1 PrometheusRule
// that holds queries.
type PrometheusRule struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []Rule `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

// Rule is an alerting or recording rule.
type Rule struct {
	Alert       string            `json:"alert"`
	Record      string            `json:"record"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// ParseRules reads a PrometheusRule, refusing unknown fields.
func ParseRules(data []byte) (*PrometheusRule, error) {
	var r PrometheusRule
	if err := yaml.UnmarshalStrict(data, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Rules returns the expressions of a PrometheusRule.
func Rules(data []byte) ([]Query, error) {
	r, err := ParseRules(data)
	if err != nil {
		return nil, err
	}
	var qs []Query
	for _, g := range r.Spec.Groups {
		for _, rule := range g.Rules {
			name := "alert " + rule.Alert
			if rule.Record != "" {
				name = "record " + rule.Record
			}
			qs = append(qs, Query{Where: fmt.Sprintf("group %q %s", g.Name, name), Expr: rule.Expr})
		}
	}
	return qs, nil
}
