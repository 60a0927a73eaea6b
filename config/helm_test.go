package config_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ironlb/ironlb/internal/install"
	"github.com/ironlb/ironlb/internal/testenv"
)

const (
	chart = "charts/ironlb"
	// kubeVersion is the apiserver the tests run, for the chart's
	// kubeVersion constraint (helm template cannot ask a cluster).
	kubeVersion = "v1.37.2"
	customNS    = "lb-system"
)

var customValues = filepath.Join("config", "testdata", "helm-values.yaml")

func helm(ctx context.Context, t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	h, err := install.Helm()
	if err != nil {
		t.Fatal(err)
	}
	return install.Run(ctx, h, args...)
}

// helmTemplate renders the chart as `helm install` would, CRDs included.
func helmTemplate(t *testing.T, namespace string, values ...string) []*unstructured.Unstructured {
	t.Helper()
	args := []string{"template", "ironlb", chart, "--namespace", namespace, "--include-crds", "--kube-version", kubeVersion}
	for _, v := range values {
		args = append(args, "--values", v)
	}
	return rendered(t)(helm(t.Context(), t, args...))
}

func TestHelmLint(t *testing.T) {
	for _, values := range [][]string{nil, {customValues}} {
		args := []string{"lint", "--strict", chart, "--kube-version", kubeVersion}
		for _, v := range values {
			args = append(args, "--values", v)
		}
		out, err := helm(t.Context(), t, args...)
		if err != nil {
			t.Errorf("helm lint %v: %v", values, err)
		}
		if !strings.Contains(string(out), "0 chart(s) failed") {
			t.Errorf("helm lint %v:\n%s", values, out)
		}
	}
}

// installMonitoringCRDs installs stand-ins of the Prometheus operator's CRDs
// (see testdata/monitoring-crds.yaml), for the chart's optional objects, and
// waits until they are served.
func installMonitoringCRDs(t *testing.T) {
	t.Helper()
	if _, err := envtest.InstallCRDs(env.Config, envtest.CRDInstallOptions{
		Paths: []string{"testdata/monitoring-crds.yaml"}, ErrorIfPathMissing: true,
	}); err != nil {
		t.Fatal(err)
	}
}

// TestHelmInstall renders the chart with default and with non-default
// values and has the real apiserver accept every object (schemas, CEL,
// admission), then checks that the values took effect.
func TestHelmInstall(t *testing.T) {
	if err := env.Client.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: customNS}}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	ensureNamespace(t)
	installMonitoringCRDs(t)

	t.Run("defaults", func(t *testing.T) {
		objs := helmTemplate(t, ns)
		// The same objects as config/default, but the Namespace, which
		// `helm install --create-namespace` makes.
		want := slices.DeleteFunc(slices.Clone(wantInstall), func(k string) bool { return k == "Namespace ironlb-system" })
		if got := keys(objs); !slices.Equal(got, want) {
			t.Fatalf("the chart renders\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		checkWorkloads(t, objs, ns)
		if err := dryRun(t.Context(), t, objs); err != nil {
			t.Fatalf("the apiserver refused the chart: %v", err)
		}
	})

	t.Run("custom", func(t *testing.T) {
		objs := helmTemplate(t, customNS, filepath.Join(testenv.RepoRoot(), customValues))
		extra := []string{
			"BGPAnnouncement all", "BGPPeer router", "IPPool lan", "L2Announcement lan",
			"PrometheusRule " + customNS + "/ironlb",
			"ServiceMonitor " + customNS + "/ironlb-controller", "ServiceMonitor " + customNS + "/ironlb-speaker",
		}
		var want []string
		for _, k := range append(slices.Clone(wantInstall), extra...) {
			if k == "Namespace ironlb-system" {
				continue
			}
			want = append(want, strings.ReplaceAll(k, "ironlb-system/", customNS+"/"))
		}
		slices.Sort(want)
		if got := keys(objs); !slices.Equal(got, want) {
			t.Fatalf("the chart renders\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		checkWorkloads(t, objs, customNS)

		dep := find(t, objs, "Deployment "+customNS+"/ironlb-controller")
		if r := nested(t, dep, "spec", "replicas"); r != int64(3) {
			t.Errorf("controller replicas %v, want 3", r)
		}
		ctrl := container(t, dep)
		for _, arg := range []string{"--serve-classless=false", "--lease-duration=30s", "--renew-deadline=20s", "--retry-period=5s", "--log-level=debug"} {
			if !slices.Contains(stringSlice(ctrl["args"]), arg) {
				t.Errorf("controller args %v lack %s", ctrl["args"], arg)
			}
		}
		if ctrl["image"] != "registry.example.test/ironlb/controller:v9.9.9" {
			t.Errorf("controller image %v", ctrl["image"])
		}
		spk := container(t, find(t, objs, "DaemonSet "+customNS+"/ironlb-speaker"))
		for _, arg := range []string{
			"--serve-classless=false", "--layer2=false", "--memberlist-port=7947", "--memberlist-probe-interval=200ms",
			"--memberlist-probe-timeout=100ms", "--memberlist-suspicion-mult=4", "--metrics-bind-address=:9472",
		} {
			if !slices.Contains(stringSlice(spk["args"]), arg) {
				t.Errorf("speaker args %v lack %s", spk["args"], arg)
			}
		}
		vap := find(t, objs, "ValidatingAdmissionPolicy ironlb-speakerstatus-own-node")
		cond := fmt.Sprint(nested(t, vap, "spec", "matchConditions"))
		if !strings.Contains(cond, "system:serviceaccount:"+customNS+":ironlb-speaker") {
			t.Errorf("the admission policy does not match the release's speaker: %s", cond)
		}
		if err := dryRun(t.Context(), t, objs); err != nil {
			t.Fatalf("the apiserver refused the chart with %s: %v", customValues, err)
		}

		// The initial configuration is validated like any other: a bad
		// address from the values is refused.
		pool := find(t, objs, "IPPool lan").DeepCopy()
		if err := unstructured.SetNestedStringSlice(pool.Object, []string{"198.51.100.300"}, "spec", "addresses"); err != nil {
			t.Fatal(err)
		}
		if err := dryRun(t.Context(), t, []*unstructured.Unstructured{pool}); err == nil {
			t.Error("an IPPool with address 198.51.100.300 was accepted")
		}
	})
}

// TestHelmAgreesWithKustomize: both install paths grant the same RBAC,
// install the same CRDs and run the same Pods.
func TestHelmAgreesWithKustomize(t *testing.T) {
	k := kustomized(t)
	h := helmTemplate(t, ns)
	for _, o := range k {
		var fields [][]string
		switch o.GetKind() {
		case "ClusterRole", "Role":
			fields = [][]string{{"rules"}}
		case "ClusterRoleBinding", "RoleBinding":
			fields = [][]string{{"roleRef"}, {"subjects"}}
		case "CustomResourceDefinition", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "PodDisruptionBudget", "Service":
			fields = [][]string{{"spec"}}
		case "Deployment", "DaemonSet":
			// The Pods differ only in labels and image tags.
			fields = [][]string{
				{"spec", "selector"}, {"spec", "template", "spec", "securityContext"}, {"spec", "template", "spec", "hostNetwork"},
				{"spec", "template", "spec", "tolerations"}, {"spec", "template", "spec", "serviceAccountName"},
			}
			kc, hc := container(t, o), container(t, find(t, h, install.Key(o)))
			for _, f := range []string{"securityContext", "ports", "env", "readinessProbe", "livenessProbe", "resources"} {
				if !equalYAML(t, kc[f], hc[f]) {
					t.Errorf("%s container %s differs:\nkustomize %v\nhelm      %v", install.Key(o), f, kc[f], hc[f])
				}
			}
		default:
			continue
		}
		ho := find(t, h, install.Key(o))
		for _, f := range fields {
			kv, _, _ := unstructured.NestedFieldNoCopy(o.Object, f...)
			hv, _, _ := unstructured.NestedFieldNoCopy(ho.Object, f...)
			if !equalYAML(t, kv, hv) {
				t.Errorf("%s .%s differs between kustomize and helm:\nkustomize %v\nhelm      %v", install.Key(o), strings.Join(f, "."), kv, hv)
			}
		}
	}
}
