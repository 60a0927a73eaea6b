package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// row is one field of a kind: its path from the object's root
// ("spec.ranges[].cidr"), its schema, and whether its parent requires it.
type row struct {
	path     string
	s        *schema
	required bool
}

// fields lists every field under the root's properties except the ones all
// objects share (apiVersion, kind, metadata), parents before children,
// siblings by name.
func fields(root *schema) []row {
	var rows []row
	for _, name := range sortedKeys(root.Properties) {
		if name == "apiVersion" || name == "kind" || name == "metadata" {
			continue
		}
		walk(&rows, name, root.Properties[name], slices.Contains(root.Required, name))
	}
	return rows
}

func walk(rows *[]row, path string, s *schema, required bool) {
	*rows = append(*rows, row{path: path, s: s, required: required})
	children(rows, path, s)
}

// children adds the rows of a schema's fields, array items and map values.
func children(rows *[]row, path string, s *schema) {
	for _, name := range sortedKeys(s.Properties) {
		walk(rows, path+"."+name, s.Properties[name], slices.Contains(s.Required, name))
	}
	if s.Items != nil {
		element(rows, path+"[]", s.Items)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		element(rows, path+".<key>", s.AdditionalProperties.Schema)
	}
}

// element adds the rows of an array item or a map value. The element itself
// gets a row only when it says more than its type, which the parent's
// type already shows ([]string, map[string]string): an object element's
// fields follow directly under the parent.
func element(rows *[]row, path string, s *schema) {
	if !constrained(s) && (isObject(s) || s.Description == "") {
		children(rows, path, s)
		return
	}
	walk(rows, path, s, false)
}

func isObject(s *schema) bool { return s.Type == "object" || len(s.Properties) > 0 }

// constrained reports whether s carries a rule, default or format of its own.
func constrained(s *schema) bool {
	return len(constraints(s)) > 0 || len(s.Default) > 0 || s.Format != ""
}

// typeOf is a field's type in Go-like notation: string, integer (int32),
// []string, map[string]string, object.
func typeOf(s *schema) string {
	var t string
	switch {
	case s.IntOrString:
		t = "integer or string"
	case s.Type == "array":
		if s.Items == nil {
			return "[]any"
		}
		return "[]" + typeOf(s.Items)
	case s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil && len(s.Properties) == 0:
		return "map[string]" + typeOf(s.AdditionalProperties.Schema)
	case s.Type == "":
		t = "any"
	default:
		t = s.Type
	}
	if s.Format != "" {
		t += " (" + s.Format + ")"
	}
	return t
}

// constraints are the schema's rules in words, CEL rules by their message.
func constraints(s *schema) []string {
	var out []string
	if len(s.Enum) > 0 {
		vals := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			vals[i] = code(value(v))
		}
		out = append(out, "one of "+strings.Join(vals, ", "))
	}
	if r := bounds(s.Minimum.String(), s.ExclusiveMinimum, s.Maximum.String(), s.ExclusiveMaximum); r != "" {
		out = append(out, r)
	}
	if s.MultipleOf != "" {
		out = append(out, "multiple of "+s.MultipleOf.String())
	}
	out = appendCount(out, "length", s.MinLength, s.MaxLength)
	out = appendCount(out, "items", s.MinItems, s.MaxItems)
	out = appendCount(out, "properties", s.MinProperties, s.MaxProperties)
	if s.Pattern != "" {
		out = append(out, "pattern "+code(s.Pattern))
	}
	if s.UniqueItems {
		out = append(out, "unique items")
	}
	if s.Nullable {
		out = append(out, "nullable")
	}
	switch {
	case s.ListType == "map":
		out = append(out, "list-type map, keyed by "+codes(s.ListMapKeys))
	case s.ListType != "":
		out = append(out, "list-type "+s.ListType)
	}
	if s.MapType != "" {
		out = append(out, "map-type "+s.MapType)
	}
	if s.PreserveUnknown {
		out = append(out, "unknown fields kept")
	}
	if s.EmbeddedResource {
		out = append(out, "embedded object")
	}
	for _, v := range s.Validations {
		switch {
		case v.Message != "":
			out = append(out, "CEL: "+text(v.Message))
		case v.MessageExpression != "":
			out = append(out, "CEL: message from "+code(v.MessageExpression))
		default:
			out = append(out, "CEL: "+code(v.Rule))
		}
	}
	return out
}

func bounds(lo string, exLo bool, hi string, exHi bool) string {
	op := func(ex bool, strict, loose string) string {
		if ex {
			return strict
		}
		return loose
	}
	switch {
	case lo != "" && hi != "":
		return fmt.Sprintf("%s %s value %s %s", lo, op(exLo, "<", "≤"), op(exHi, "<", "≤"), hi)
	case lo != "":
		return "value " + op(exLo, ">", "≥") + " " + lo
	case hi != "":
		return "value " + op(exHi, "<", "≤") + " " + hi
	}
	return ""
}

func appendCount(out []string, what string, lo, hi *int64) []string {
	switch {
	case lo != nil && hi != nil:
		return append(out, fmt.Sprintf("%s %d–%d", what, *lo, *hi))
	case lo != nil:
		return append(out, fmt.Sprintf("%s ≥ %d", what, *lo))
	case hi != nil:
		return append(out, fmt.Sprintf("%s ≤ %d", what, *hi))
	}
	return out
}

// value shows a JSON value: strings bare, anything else as compact JSON.
func value(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil && s != "" {
		return s
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return string(raw)
	}
	return buf.String()
}

// prose makes free text safe in Markdown: one line, HTML-looking angle
// brackets escaped, stars kept literal.
func prose(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.NewReplacer(`<`, `&lt;`, `>`, `&gt;`, `*`, `\*`).Replace(s)
}

// text is prose for a table cell, where a pipe would end the cell.
func text(s string) string {
	return strings.ReplaceAll(prose(s), "|", `\|`)
}

// code makes s an inline code span safe in a table cell, where a pipe must
// be escaped even inside the span (GFM splits cells first).
func code(s string) string {
	return span(strings.ReplaceAll(s, "|", `\|`))
}

// span makes s an inline code span on one line; a backtick in s needs a
// longer fence.
func span(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

func codes(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = code(s)
	}
	return strings.Join(out, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
