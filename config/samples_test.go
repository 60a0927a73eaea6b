package config_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// readObjects decodes every object of a multi-document YAML file.
func readObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
	return objs
}

func TestSamplesAccepted(t *testing.T) {
	files, err := filepath.Glob("samples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The lab's configuration (make lab, e2e) must be valid too.
	lab, err := filepath.Glob("samples/lab/*.yaml")
	if err != nil || len(lab) == 0 {
		t.Fatalf("no lab samples: %v", err)
	}
	files = append(files, lab...)
	kinds := map[string]bool{}
	for _, f := range files {
		for _, u := range readObjects(t, f) {
			kinds[u.GetKind()] = true
			t.Run(filepath.Base(f)+"/"+u.GetName(), func(t *testing.T) {
				if err := env.Client.Create(t.Context(), u); err != nil {
					t.Fatalf("create %s %s: %v", u.GetKind(), u.GetName(), err)
				}
				t.Cleanup(func() { _ = env.Client.Delete(t.Context(), u) })
			})
		}
	}
	for _, k := range []string{"IPPool", "L2Announcement", "BGPPeer", "BGPAnnouncement", "SpeakerStatus"} {
		if !kinds[k] {
			t.Errorf("config/samples has no %s", k)
		}
	}
}

// TestDefaults checks the defaults the schema applies, which the controller
// and speaker rely on when fields are left out.
func TestDefaults(t *testing.T) {
	ctx := t.Context()
	objs := []*unstructured.Unstructured{
		mustYAML(t, `{apiVersion: ironlb.io/v1alpha1, kind: IPPool, metadata: {name: defaults}, spec: {addresses: [198.51.100.0/28]}}`),
		mustYAML(t, `{apiVersion: ironlb.io/v1alpha1, kind: BGPPeer, metadata: {name: defaults}, spec: {address: 198.51.100.1, asn: 64500, localASN: 64512, gracefulRestart: {enabled: true}, passwordSecretRef: {name: s}}}`),
		mustYAML(t, `{apiVersion: ironlb.io/v1alpha1, kind: BGPAnnouncement, metadata: {name: defaults}, spec: {}}`),
	}
	want := []struct {
		path []string
		val  any
	}{
		{[]string{"spec", "autoAssign"}, true},
		{[]string{"spec", "port"}, int64(179)},
		{[]string{"spec", "holdTime"}, "90s"},
		{[]string{"spec", "gracefulRestart", "restartTime"}, "120s"},
		{[]string{"spec", "passwordSecretRef", "key"}, "password"},
		{[]string{"spec", "aggregationLength"}, int64(32)},
		{[]string{"spec", "aggregationLengthV6"}, int64(128)},
	}
	objOf := []int{0, 1, 1, 1, 1, 2, 2}
	for _, u := range objs {
		if err := env.Client.Create(ctx, u, client.DryRunAll); err != nil {
			t.Fatalf("create %s: %v", u.GetKind(), err)
		}
	}
	for i, w := range want {
		got, ok, err := unstructured.NestedFieldNoCopy(objs[objOf[i]].Object, w.path...)
		if err != nil || !ok || got != w.val {
			t.Errorf("%s %v = %v (found %v, err %v), want %v", objs[objOf[i]].GetKind(), w.path, got, ok, err, w.val)
		}
	}
}
