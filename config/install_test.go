package config_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/ironlb/ironlb/internal/install"
)

const ns = "ironlb-system"

// kustomized renders config/default.
func kustomized(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	return rendered(t)(install.Kustomize(t.Context(), "config/default"))
}

// rendered returns a function that parses a rendering, failing the test on
// any error; call it as rendered(t)(render(...)).
func rendered(t *testing.T) func([]byte, error) []*unstructured.Unstructured {
	return func(out []byte, err error) []*unstructured.Unstructured {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		objs, err := install.Parse(out)
		if err != nil {
			t.Fatal(err)
		}
		return objs
	}
}

// kubeconfig writes the admin kubeconfig of the test apiserver.
func kubeconfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(p, env.KubeConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// ensureNamespace creates ironlb-system for real: a server-side dry run
// cannot create namespaced objects in a namespace that the same dry run
// only pretends to create.
func ensureNamespace(t *testing.T) {
	t.Helper()
	err := env.Client.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// dryRun applies objects with `kubectl apply --server-side --dry-run=server`:
// the apiserver runs schemas, CEL rules, defaulting and admission (the
// ValidatingAdmissionPolicies included) and stores nothing.
func dryRun(ctx context.Context, t *testing.T, objs []*unstructured.Unstructured) error {
	t.Helper()
	var b strings.Builder
	for _, o := range objs {
		y, err := yaml.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	file := filepath.Join(t.TempDir(), "install.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := install.Kubectl()
	if err != nil {
		t.Fatal(err)
	}
	out, err := install.Run(ctx, k, "--kubeconfig", kubeconfig(t), "apply", "--server-side", "--dry-run=server",
		"--field-manager=ironlb-install-test", "-f", file)
	t.Logf("%s", out)
	return err
}

func keys(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, install.Key(o))
	}
	slices.Sort(out)
	return out
}

// find returns the one object with this key.
func find(t *testing.T, objs []*unstructured.Unstructured, key string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if install.Key(o) == key {
			return o
		}
	}
	t.Fatalf("no %s in the rendering; have %v", key, keys(objs))
	return nil
}

// nested reads a field, failing the test when it is missing.
func nested(t *testing.T, o *unstructured.Unstructured, path ...string) any {
	t.Helper()
	v, ok, err := unstructured.NestedFieldNoCopy(o.Object, path...)
	if err != nil || !ok {
		t.Fatalf("%s: no %s (%v)", install.Key(o), strings.Join(path, "."), err)
	}
	return v
}

// wantInstall is every object of the install.
var wantInstall = []string{
	"ClusterRole ironlb-controller",
	"ClusterRole ironlb-speaker",
	"ClusterRoleBinding ironlb-controller",
	"ClusterRoleBinding ironlb-speaker",
	"CustomResourceDefinition bgpannouncements.ironlb.io",
	"CustomResourceDefinition bgppeers.ironlb.io",
	"CustomResourceDefinition ippools.ironlb.io",
	"CustomResourceDefinition l2announcements.ironlb.io",
	"CustomResourceDefinition speakerstatuses.ironlb.io",
	"DaemonSet ironlb-system/ironlb-speaker",
	"Deployment ironlb-system/ironlb-controller",
	"Namespace ironlb-system",
	"PodDisruptionBudget ironlb-system/ironlb-controller",
	"Role ironlb-system/ironlb-controller",
	"Role ironlb-system/ironlb-speaker",
	"RoleBinding ironlb-system/ironlb-controller",
	"RoleBinding ironlb-system/ironlb-speaker",
	"Secret ironlb-system/ironlb-memberlist",
	"Service ironlb-system/ironlb-controller-metrics",
	"Service ironlb-system/ironlb-speaker-metrics",
	"ServiceAccount ironlb-system/ironlb-controller",
	"ServiceAccount ironlb-system/ironlb-speaker",
	"ValidatingAdmissionPolicy ironlb-speakerstatus-own-node",
	"ValidatingAdmissionPolicyBinding ironlb-speakerstatus-own-node",
}

// TestKustomizeInstall renders config/default, checks the properties the
// install promises, and has the real apiserver accept all of it.
func TestKustomizeInstall(t *testing.T) {
	objs := kustomized(t)
	if got := keys(objs); !slices.Equal(got, wantInstall) {
		t.Fatalf("config/default renders\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantInstall, "\n"))
	}
	checkWorkloads(t, objs, ns)

	// The CRDs are the generated ones, unchanged but for labels.
	for _, f := range mustGlob(t, "crd/bases/*.yaml") {
		for _, want := range readObjects(t, f) {
			got := find(t, objs, install.Key(want))
			if !equalYAML(t, nested(t, got, "spec"), nested(t, want, "spec")) {
				t.Errorf("%s: the rendered spec differs from %s", install.Key(want), f)
			}
		}
	}

	ensureNamespace(t)
	if err := dryRun(t.Context(), t, objs); err != nil {
		t.Fatalf("the apiserver refused config/default: %v", err)
	}
}

// TestDryRunRefuses shows that the dry run validates: a broken copy of the
// install is refused.
func TestDryRunRefuses(t *testing.T) {
	objs := kustomized(t)
	ensureNamespace(t)
	d := find(t, objs, "Deployment ironlb-system/ironlb-controller").DeepCopy()
	if err := unstructured.SetNestedField(d.Object, int64(-1), "spec", "replicas"); err != nil {
		t.Fatal(err)
	}
	err := dryRun(t.Context(), t, []*unstructured.Unstructured{d})
	if err == nil || !strings.Contains(err.Error(), "spec.replicas") {
		t.Fatalf("a Deployment with -1 replicas: got %v, want a refusal naming spec.replicas", err)
	}
}

// checkWorkloads checks what config/ promises of the controller and speaker
// Pods: least privilege, probes, identities.
func checkWorkloads(t *testing.T, objs []*unstructured.Unstructured, ns string) {
	t.Helper()
	dep := find(t, objs, "Deployment "+ns+"/ironlb-controller")
	if r, _ := nested(t, dep, "spec", "replicas").(int64); r < 2 {
		t.Errorf("controller replicas = %v, want 2 or more", r)
	}
	ctrl := container(t, dep)
	if !slices.Contains(stringSlice(ctrl["args"]), "--leader-elect") {
		t.Errorf("controller args %v lack --leader-elect", ctrl["args"])
	}
	if nested(t, dep, "spec", "template", "spec", "securityContext", "runAsNonRoot") != true {
		t.Error("the controller may run as root")
	}
	sc := ctrl["securityContext"].(map[string]any)
	if sc["readOnlyRootFilesystem"] != true || sc["allowPrivilegeEscalation"] != false {
		t.Errorf("controller securityContext %v: want a read-only root and no privilege escalation", sc)
	}
	if caps := sc["capabilities"].(map[string]any); !slices.Equal(stringSlice(caps["drop"]), []string{"ALL"}) || caps["add"] != nil {
		t.Errorf("controller capabilities %v, want all dropped and none added", caps)
	}
	checkProbes(t, "controller", ctrl)
	if nested(t, dep, "spec", "template", "spec", "serviceAccountName") != "ironlb-controller" {
		t.Error("the controller does not run as ServiceAccount ironlb-controller")
	}
	if _, ok := nested(t, dep, "spec", "template", "spec", "topologySpreadConstraints").([]any); !ok {
		t.Error("the controller replicas are not spread across nodes")
	}
	if m, _ := nested(t, find(t, objs, "PodDisruptionBudget "+ns+"/ironlb-controller"), "spec", "minAvailable").(int64); m < 1 {
		t.Error("the PodDisruptionBudget does not keep a controller")
	}

	ds := find(t, objs, "DaemonSet "+ns+"/ironlb-speaker")
	if nested(t, ds, "spec", "template", "spec", "hostNetwork") != true {
		t.Error("the speaker is not on the host network")
	}
	spk := container(t, ds)
	ssc := spk["securityContext"].(map[string]any)
	caps := ssc["capabilities"].(map[string]any)
	if add := stringSlice(caps["add"]); !slices.Equal(stringSlice(caps["drop"]), []string{"ALL"}) || !slices.Equal(add, []string{"NET_RAW", "NET_ADMIN"}) {
		t.Errorf("speaker capabilities %v, want all dropped but NET_RAW and NET_ADMIN", caps)
	}
	if ssc["privileged"] == true || ssc["allowPrivilegeEscalation"] != false {
		t.Errorf("speaker securityContext %v: must not be privileged", ssc)
	}
	var nodeName bool
	for _, e := range spk["env"].([]any) {
		e := e.(map[string]any)
		if e["name"] == "NODE_NAME" {
			vf, _, _ := unstructured.NestedString(e, "valueFrom", "fieldRef", "fieldPath")
			nodeName = vf == "spec.nodeName"
		}
	}
	if !nodeName {
		t.Error("the speaker does not get NODE_NAME from spec.nodeName")
	}
	tol := nested(t, ds, "spec", "template", "spec", "tolerations").([]any)
	if len(tol) != 1 || tol[0].(map[string]any)["operator"] != "Exists" || tol[0].(map[string]any)["key"] != nil {
		t.Errorf("speaker tolerations %v, want one that tolerates every taint", tol)
	}
	checkProbes(t, "speaker", spk)
}

func checkProbes(t *testing.T, name string, c map[string]any) {
	t.Helper()
	for probe, path := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		got, _, _ := unstructured.NestedString(c, probe, "httpGet", "path")
		if got != path {
			t.Errorf("%s %s path = %q, want %s", name, probe, got, path)
		}
	}
	if _, ok := c["resources"].(map[string]any)["requests"]; !ok {
		t.Errorf("%s has no resource requests", name)
	}
}

func container(t *testing.T, o *unstructured.Unstructured) map[string]any {
	t.Helper()
	cs := nested(t, o, "spec", "template", "spec", "containers").([]any)
	if len(cs) != 1 {
		t.Fatalf("%s: %d containers, want 1", install.Key(o), len(cs))
	}
	return cs[0].(map[string]any)
}

func stringSlice(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("glob %s: %v %v", pattern, m, err)
	}
	return m
}

func equalYAML(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := yaml.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := yaml.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}
