package kube

import (
	"encoding/json"
	"maps"
	"reflect"
)

// MergePatch is the JSON merge patch (RFC 7386) that turns before into
// after, for objects whose lists are replaced whole, such as status with
// conditions: a member that after changes is set, one it drops is null,
// objects are compared member by member, and anything else (lists too) is
// replaced whole when it differs.
func MergePatch(before, after any) ([]byte, error) {
	b, err := asJSON(before)
	if err != nil {
		return nil, err
	}
	a, err := asJSON(after)
	if err != nil {
		return nil, err
	}
	bm, ok1 := b.(map[string]any)
	am, ok2 := a.(map[string]any)
	if !ok1 || !ok2 {
		// A patch that is no object replaces the document.
		return json.Marshal(a)
	}
	return json.Marshal(diff(bm, am))
}

// asJSON is v as encoding/json reads it back: maps, lists, strings,
// float64s, bools and nils.
func asJSON(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(data, &out)
}

// diff is the merge patch from before to after.
func diff(before, after map[string]any) map[string]any {
	patch := map[string]any{}
	for k, av := range after {
		bv, had := before[k]
		if !had {
			patch[k] = av
			continue
		}
		bm, ok1 := bv.(map[string]any)
		am, ok2 := av.(map[string]any)
		switch {
		case ok1 && ok2:
			if d := diff(bm, am); len(d) > 0 {
				patch[k] = d
			}
		case !reflect.DeepEqual(bv, av):
			patch[k] = av
		}
	}
	for k := range maps.Keys(before) {
		if _, kept := after[k]; !kept {
			patch[k] = nil
		}
	}
	return patch
}
