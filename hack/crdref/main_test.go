package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixture is a small CRD with what the reference must show: nested lists, a
// map of objects, required fields, defaults, enums, bounds, a pattern with a
// pipe, and CEL rules on the spec, on a field and on a list element. A
// second document that is not a CRD must be skipped.
const fixture = `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    listKind: WidgetList
    plural: widgets
    singular: widget
    shortNames: [wdg]
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - name: Mode
      type: string
      jsonPath: .spec.mode
      description: How it runs
    - name: Size
      type: integer
      jsonPath: .spec.size
      priority: 1
    schema:
      openAPIV3Schema:
        description: Widget is a test kind.
        type: object
        required: [spec]
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            required: [mode, ranges]
            x-kubernetes-validations:
            - rule: "!(has(self.size) && self.mode == 'off')"
              message: size needs a mode other than off
            - rule: "self.mode != 'manual' || has(self.size)"
              message: "manual|sized <mode> needs *size*"
            properties:
              mode:
                type: string
                description: Mode of the widget.
                default: auto
                enum: [auto, manual, "off"]
              size:
                type: integer
                format: int32
                minimum: 1
                maximum: 4294967295
              ranges:
                type: array
                maxItems: 8
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [cidr]
                items:
                  type: object
                  required: [cidr]
                  properties:
                    cidr:
                      type: string
                      pattern: '^(a|b)$'
                      x-kubernetes-validations:
                      - rule: isCIDR(self)
                        messageExpression: "'bad CIDR ' + self"
                    ports:
                      type: array
                      items:
                        type: integer
                        minimum: 1
                        maximum: 65535
              labels:
                type: object
                additionalProperties:
                  type: object
                  properties:
                    weight:
                      type: integer
                      default: 10
              tags:
                type: array
                items:
                  type: string
          status:
            type: object
            properties:
              ready:
                type: boolean
                description: Ready says it works.
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: not-a-crd
`

// gadget sorts before Widget, to prove kinds are ordered.
const gadget = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets, singular: gadget}
  scope: Cluster
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              enabled: {type: boolean}
`

func writeFixtures(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{"widgets.yaml": fixture, "gadgets.yml": gadget, "README.md": "not YAML"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestGenerate(t *testing.T) {
	dir := writeFixtures(t)
	out, err := generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(out)

	for _, want := range []string{
		header,
		// The index and the kind's facts.
		"| [Widget](#widget) | `example.com/v1` | Namespaced | `wdg` |",
		"| short names | `wdg` |",
		"| versions | `v1` (served, storage) |",
		"Subresources: `status`.",
		// Printer columns, with a description and a wide-only column.
		"| Mode | string | `.spec.mode` | How it runs |",
		"| Size (with `-o wide`) | integer | `.spec.size` |  |",
		// Required, default and enum.
		// Messages are escaped in the table: a pipe would split the cell.
		"| `spec` | object | yes |  | CEL: size needs a mode other than off; CEL: manual\\|sized &lt;mode&gt; needs \\*size\\* |",
		"| `spec.mode` | string | yes | `auto` | one of `auto`, `manual`, `off` | Mode of the widget. |",
		// Bounds keep their digits.
		"| `spec.size` | integer (int32) |  |  | 1 ≤ value ≤ 4294967295 |",
		// A list of objects: the list, then its elements' fields.
		"| `spec.ranges` | []object | yes |  | items ≤ 8; list-type map, keyed by `cidr` |",
		"| `spec.ranges[].cidr` | string | yes |  | pattern `^(a\\|b)$`; CEL: message from `'bad CIDR ' + self` |",
		// A list inside a list element, and its constrained elements.
		"| `spec.ranges[].ports` | []integer |",
		"| `spec.ranges[].ports[]` | integer |  |  | 1 ≤ value ≤ 65535 |",
		// A map of objects.
		"| `spec.labels` | map[string]object |",
		"| `spec.labels.<key>.weight` | integer |  | `10` |",
		// A plain list of strings needs no element row.
		"| `spec.tags` | []string |",
		"| `status.ready` | boolean |  |  |  | Ready says it works. |",
		// CEL rules where they apply.
		"### Validation rules",
		"`spec`:\n\n- size needs a mode other than off\n\n  ```cel\n  !(has(self.size) && self.mode == 'off')\n  ```",
		"- manual|sized &lt;mode&gt; needs \\*size\\*\n\n  ```cel\n  self.mode != 'manual' || has(self.size)\n  ```",
		"`spec.ranges[].cidr`:\n\n- (message expression: `'bad CIDR ' + self`)\n\n  ```cel\n  isCIDR(self)\n  ```",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("reference lacks %q", want)
		}
	}
	for _, unwanted := range []string{"`apiVersion`", "`metadata`", "not-a-crd", "`spec.tags[]`", "| `spec.ranges[]` |"} {
		if strings.Contains(doc, unwanted) {
			t.Errorf("reference has %q", unwanted)
		}
	}
	if g, w := strings.Index(doc, "## Gadget"), strings.Index(doc, "## Widget"); g < 0 || w < 0 || g > w {
		t.Errorf("kinds out of order: Gadget at %d, Widget at %d", g, w)
	}

	again, err := generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, again) {
		t.Error("two runs over the same CRDs gave different output")
	}
}

func TestCheck(t *testing.T) {
	dir := writeFixtures(t)
	out := filepath.Join(t.TempDir(), "docs", "reference.md")
	runOK := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"-crds", dir, "-out", out}, args...), &stdout, &stderr)
		return code, stderr.String()
	}

	if code, msg := runOK("-check"); code == 0 || !strings.Contains(msg, "is stale") {
		t.Errorf("check of a missing file: exit %d, %q; want non-zero and a hint", code, msg)
	}
	if code, msg := runOK(); code != 0 {
		t.Fatalf("write: exit %d: %s", code, msg)
	}
	if code, msg := runOK("-check"); code != 0 {
		t.Errorf("check right after writing: exit %d: %s", code, msg)
	}

	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	stale := strings.Replace(string(b), "Mode of the widget.", "Mode of the gizmo.", 1)
	if err := os.WriteFile(out, []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	code, msg := runOK("-check")
	if code == 0 {
		t.Fatal("check of an edited file passed")
	}
	for _, want := range []string{"is stale", "make docs", "first difference at line", "- | `spec.mode`", "+ | `spec.mode`"} {
		if !strings.Contains(msg, want) {
			t.Errorf("hint lacks %q:\n%s", want, msg)
		}
	}
	if after, _ := os.ReadFile(out); string(after) != stale {
		t.Error("-check wrote the file")
	}
}

func TestErrors(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"no CRDs":      {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\n"},
		"bad YAML":     {"x.yaml": "kind: [\n"},
		"CRD, no kind": {"x.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: x}\n"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for n, text := range files {
				if err := os.WriteFile(filepath.Join(dir, n), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := generate(dir); err == nil {
				t.Error("no error")
			}
		})
	}
	var stderr bytes.Buffer
	if code := run([]string{"-crds", filepath.Join(t.TempDir(), "missing")}, &bytes.Buffer{}, &stderr); code == 0 {
		t.Error("a missing CRD directory passed")
	}
}
