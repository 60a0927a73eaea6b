package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// crd is the part of an apiextensions.k8s.io/v1 CustomResourceDefinition the
// reference shows. It is declared here rather than imported so that the
// generator needs nothing beyond sigs.k8s.io/yaml.
type crd struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind       string   `json:"kind"`
			Plural     string   `json:"plural"`
			Singular   string   `json:"singular"`
			ShortNames []string `json:"shortNames"`
			Categories []string `json:"categories"`
		} `json:"names"`
		Scope    string    `json:"scope"`
		Versions []version `json:"versions"`
	} `json:"spec"`
}

type version struct {
	Name               string   `json:"name"`
	Served             bool     `json:"served"`
	Storage            bool     `json:"storage"`
	Deprecated         bool     `json:"deprecated"`
	DeprecationWarning string   `json:"deprecationWarning"`
	Columns            []column `json:"additionalPrinterColumns"`
	Schema             struct {
		OpenAPIV3 *schema `json:"openAPIV3Schema"`
	} `json:"schema"`
	Subresources map[string]json.RawMessage `json:"subresources"`
}

type column struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Format      string `json:"format"`
	JSONPath    string `json:"jsonPath"`
	Description string `json:"description"`
	Priority    int32  `json:"priority"`
}

// schema is one node of a structural OpenAPI v3 schema. Numbers are kept as
// written (json.Number), so that 4294967295 is not shown as 4.294967295e+09.
type schema struct {
	Type             string             `json:"type"`
	Format           string             `json:"format"`
	Description      string             `json:"description"`
	Default          json.RawMessage    `json:"default"`
	Enum             []json.RawMessage  `json:"enum"`
	Pattern          string             `json:"pattern"`
	Minimum          json.Number        `json:"minimum"`
	Maximum          json.Number        `json:"maximum"`
	ExclusiveMinimum bool               `json:"exclusiveMinimum"`
	ExclusiveMaximum bool               `json:"exclusiveMaximum"`
	MultipleOf       json.Number        `json:"multipleOf"`
	MinLength        *int64             `json:"minLength"`
	MaxLength        *int64             `json:"maxLength"`
	MinItems         *int64             `json:"minItems"`
	MaxItems         *int64             `json:"maxItems"`
	MinProperties    *int64             `json:"minProperties"`
	MaxProperties    *int64             `json:"maxProperties"`
	UniqueItems      bool               `json:"uniqueItems"`
	Nullable         bool               `json:"nullable"`
	Required         []string           `json:"required"`
	Properties       map[string]*schema `json:"properties"`
	Items            *schema            `json:"items"`
	// AdditionalProperties is a schema or a boolean; only the schema
	// form describes values, so the boolean form is dropped.
	AdditionalProperties *additional `json:"additionalProperties"`

	IntOrString      bool         `json:"x-kubernetes-int-or-string"`
	PreserveUnknown  bool         `json:"x-kubernetes-preserve-unknown-fields"`
	EmbeddedResource bool         `json:"x-kubernetes-embedded-resource"`
	ListType         string       `json:"x-kubernetes-list-type"`
	ListMapKeys      []string     `json:"x-kubernetes-list-map-keys"`
	MapType          string       `json:"x-kubernetes-map-type"`
	Validations      []validation `json:"x-kubernetes-validations"`
}

// additional is additionalProperties: a schema, or true/false.
type additional struct {
	Schema *schema
}

func (a *additional) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); bytes.Equal(t, []byte("true")) || bytes.Equal(t, []byte("false")) {
		return nil
	}
	a.Schema = new(schema)
	return json.Unmarshal(b, a.Schema)
}

// validation is one CEL rule (x-kubernetes-validations).
type validation struct {
	Rule              string `json:"rule"`
	Message           string `json:"message"`
	MessageExpression string `json:"messageExpression"`
	Reason            string `json:"reason"`
	FieldPath         string `json:"fieldPath"`
	OptionalOldSelf   bool   `json:"optionalOldSelf"`
}

// loadDir reads every CustomResourceDefinition in the .yaml and .yml files
// of dir (a file may hold several documents), sorted by kind.
func loadDir(dir string) ([]crd, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read CRD directory: %w", err)
	}
	var crds []crd
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		got, err := parse(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		crds = append(crds, got...)
	}
	if len(crds) == 0 {
		return nil, fmt.Errorf("no CustomResourceDefinition in %s", dir)
	}
	slices.SortFunc(crds, func(a, b crd) int {
		return strings.Compare(a.Spec.Names.Kind+"."+a.Spec.Group, b.Spec.Names.Kind+"."+b.Spec.Group)
	})
	return crds, nil
}

// parse returns the CustomResourceDefinitions among the YAML documents in b.
func parse(b []byte) ([]crd, error) {
	var out []crd
	for i, doc := range splitDocuments(b) {
		var c crd
		if err := yaml.Unmarshal(doc, &c); err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if c.Kind != "CustomResourceDefinition" {
			continue
		}
		if c.Spec.Names.Kind == "" || len(c.Spec.Versions) == 0 {
			return nil, fmt.Errorf("document %d: CustomResourceDefinition %q has no kind or no versions", i+1, c.Metadata.Name)
		}
		out = append(out, c)
	}
	return out, nil
}

// splitDocuments cuts a YAML stream at its "---" separator lines, dropping
// empty documents.
func splitDocuments(b []byte) [][]byte {
	var docs [][]byte
	var cur []byte
	flush := func() {
		if len(bytes.TrimSpace(cur)) > 0 {
			docs = append(docs, cur)
		}
		cur = nil
	}
	for line := range bytes.Lines(b) {
		if t := bytes.TrimRight(line, " \t\r\n"); bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- ")) {
			flush()
			continue
		}
		cur = append(cur, line...)
	}
	flush()
	return docs
}
