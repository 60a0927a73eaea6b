package kube

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMergePatch: the patch names what changed and nothing else, and
// applying it (RFC 7386, applied here by apply) to before gives after.
func TestMergePatch(t *testing.T) {
	type status struct {
		Ready      bool           `json:"ready"`
		Count      int            `json:"count,omitempty"`
		Conditions []string       `json:"conditions,omitempty"`
		Extra      map[string]any `json:"extra,omitempty"`
	}
	for _, tc := range []struct {
		name          string
		before, after any
		want          string
	}{
		{"same", status{Ready: true, Count: 2}, status{Ready: true, Count: 2}, `{}`},
		{"changed field", status{Count: 2}, status{Count: 3}, `{"count":3}`},
		{"dropped field", status{Count: 2}, status{}, `{"count":null}`},
		{"added field", status{}, status{Count: 1}, `{"count":1}`},
		{"list replaced whole", status{Conditions: []string{"a", "b"}}, status{Conditions: []string{"a", "c"}}, `{"conditions":["a","c"]}`},
		{"list unchanged", status{Conditions: []string{"a"}}, status{Conditions: []string{"a"}, Count: 1}, `{"count":1}`},
		{"nested object by member", status{Extra: map[string]any{"x": 1, "y": map[string]any{"p": "q", "r": "s"}}},
			status{Extra: map[string]any{"x": 1, "y": map[string]any{"p": "q2"}}}, `{"extra":{"y":{"p":"q2","r":null}}}`},
		{"object becomes value", map[string]any{"a": map[string]any{"b": 1}}, map[string]any{"a": 5}, `{"a":5}`},
		{"value becomes object", map[string]any{"a": 5}, map[string]any{"a": map[string]any{"b": 1}}, `{"a":{"b":1}}`},
		{"wrapped status", map[string]any{"status": status{Count: 1}}, map[string]any{"status": status{Count: 1, Ready: true}}, `{"status":{"ready":true}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MergePatch(tc.before, tc.after)
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tc.want), &w); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("patch %s (-want +got):\n%s", got, diff)
			}
			before, _ := asJSON(tc.before)
			after, _ := asJSON(tc.after)
			if diff := cmp.Diff(after, apply(before, g)); diff != "" {
				t.Errorf("before + patch is not after (-after +got):\n%s", diff)
			}
		})
	}
}

// apply is RFC 7386's MergePatch algorithm, as the apiserver applies it.
func apply(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	out := map[string]any{}
	for k, v := range tm {
		out[k] = v
	}
	for k, v := range pm {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = apply(out[k], v)
		}
	}
	return out
}
