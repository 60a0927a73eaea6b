// Package testenv runs a real kube-apiserver and etcd, with ironlb's CRDs
// installed, for tests.
//
// The binaries are built from the Go module proxy by hack/controlplane.sh
// (make test does that and exports KUBEBUILDER_ASSETS). Nothing is faked: CRD
// schemas, CEL rules, defaulting and status subresources behave as they do in
// a cluster. Start one Env per test package from TestMain; starting takes a
// few seconds.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ironlb/ironlb/internal/scheme"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"
)

// ServiceCIDRs are the ClusterIP ranges of the test apiserver.
const ServiceCIDRs = "198.19.0.0/16,2001:db8:1900::/112"

// Env is a running control plane.
type Env struct {
	// Config reaches the apiserver as a cluster admin.
	Config *rest.Config
	// Client is a controller-runtime client for Config, with the core and
	// ironlb kinds registered.
	Client client.Client
	// Scheme has the core and ironlb kinds registered.
	Scheme *k8sruntime.Scheme
	// KubeConfig reaches the apiserver as a cluster admin, for binaries run
	// by tests.
	KubeConfig []byte

	env *envtest.Environment
}

// Start starts etcd and kube-apiserver and installs the CRDs from
// config/crd/bases. Call Stop when done, also after a failure.
func Start() (*Env, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	reapOrphans(assets)
	sch, err := scheme.New()
	if err != nil {
		return nil, err
	}
	te := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		Scheme:                sch,
	}
	// A dual-stack Service range (documentation addresses, never routed)
	// lets Services be PreferDualStack or RequireDualStack.
	te.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", ServiceCIDRs)
	cfg, err := te.Start()
	if err != nil {
		// Start may fail after the processes are up (installing a CRD the
		// apiserver refuses): stop them, or they outlive the test.
		return nil, errors.Join(fmt.Errorf("start control plane from %s: %w", assets, err), te.Stop())
	}
	c, err := client.New(cfg, client.Options{Scheme: sch})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("client: %w", err), te.Stop())
	}
	return &Env{Config: cfg, Client: c, Scheme: sch, KubeConfig: te.KubeConfig, env: te}, nil
}

// Stop stops the apiserver, then etcd, and removes their data.
func (e *Env) Stop() error {
	return e.env.Stop()
}

// AssetsDir finds the directory holding the etcd and kube-apiserver binaries:
// $KUBEBUILDER_ASSETS, else the cache that hack/controlplane.sh fills.
func AssetsDir() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		out, err := exec.Command(filepath.Join(RepoRoot(), "hack", "controlplane.sh"), "--print").Output()
		if err != nil {
			return "", fmt.Errorf("find control-plane binaries: run `make controlplane` or set KUBEBUILDER_ASSETS: %w", err)
		}
		dir = strings.TrimSpace(string(out))
	}
	for _, bin := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return "", fmt.Errorf("control-plane binary %s missing in %s: run `make controlplane`: %w", bin, dir, err)
		}
	}
	return dir, nil
}

// RepoRoot is the root of the ironlb work tree.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Main starts an Env, stores it in *env, runs setup and then the package's
// tests, and stops the Env. Use it as the body of TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }
func Main(m *testing.M, env **Env, setup ...func(*Env) error) int {
	e, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start control plane:", err)
		return 1
	}
	defer func() {
		if err := e.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop control plane:", err)
		}
	}()
	*env = e
	for _, f := range setup {
		if err := f(e); err != nil {
			fmt.Fprintln(os.Stderr, "set up test environment:", err)
			return 1
		}
	}
	return m.Run()
}
