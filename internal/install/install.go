// Package install renders ironlb's install manifests (config/default with
// kustomize, charts/ironlb with Helm) into objects, for the tests that apply
// them to a real apiserver and for the lab, which runs the components under
// the RBAC they define.
package install

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/ironlb/ironlb/internal/testenv"
)

// Kubectl is the kubectl that hack/controlplane.sh builds next to the
// control plane.
func Kubectl() (string, error) {
	dir, err := testenv.AssetsDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "kubectl")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("kubectl missing in %s: run `make controlplane`: %w", dir, err)
	}
	return p, nil
}

// Helm is $HELM, else the helm that `make tools` builds into the cache.
func Helm() (string, error) {
	p := os.Getenv("HELM")
	if p == "" {
		cache := os.Getenv("IRONLB_CACHE")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", err
			}
			cache = filepath.Join(home, ".cache", "ironlb")
		}
		p = filepath.Join(cache, "tools", "helm")
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("helm missing at %s: run `make tools` or set HELM: %w", p, err)
	}
	return p, nil
}

// Kustomize renders a kustomization directory (relative to the repository
// root) with kubectl.
func Kustomize(ctx context.Context, dir string) ([]byte, error) {
	k, err := Kubectl()
	if err != nil {
		return nil, err
	}
	return Run(ctx, k, "kustomize", filepath.Join(testenv.RepoRoot(), dir))
}

// Run runs a command and returns its standard output; the error carries its
// standard error.
func Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = testenv.RepoRoot()
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %v: %w\n%s", filepath.Base(name), args, err, stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

// Parse splits a YAML stream into objects, skipping empty documents.
func Parse(stream []byte) ([]*unstructured.Unstructured, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	var out []*unstructured.Unstructured
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		u := &unstructured.Unstructured{}
		if err := utilyaml.Unmarshal(doc, &u.Object); err != nil {
			return nil, fmt.Errorf("manifest %q: %w", firstLine(doc), err)
		}
		if len(u.Object) == 0 {
			continue
		}
		out = append(out, u)
	}
}

func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

// Key names an object as "Kind namespace/name" (or "Kind name").
func Key(u *unstructured.Unstructured) string {
	if ns := u.GetNamespace(); ns != "" {
		return u.GetKind() + " " + ns + "/" + u.GetName()
	}
	return u.GetKind() + " " + u.GetName()
}

// Select returns the objects of the given kinds.
func Select(objs []*unstructured.Unstructured, kinds ...string) []*unstructured.Unstructured {
	want := map[string]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if want[o.GetKind()] {
			out = append(out, o)
		}
	}
	return out
}
