package app_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ironlb/ironlb/internal/install"
	"github.com/ironlb/ironlb/internal/testenv"
)

// cpuMeter reads the CPU time (user + system) of this test process and of
// the apiserver and etcd it started, so that a benchmark can report where
// the time of each Service goes on the shared cores.
type cpuMeter struct {
	pids map[string]int // "controller" (this process), "apiserver", "etcd"
}

func newCPUMeter(b testing.TB) *cpuMeter {
	self := os.Getpid()
	m := &cpuMeter{pids: map[string]int{"controller": self}}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, comm, _, ok := procStat(pid)
		if !ok || ppid != self {
			continue
		}
		switch comm {
		case "kube-apiserver":
			m.pids["apiserver"] = pid
		case "etcd":
			m.pids["etcd"] = pid
		}
	}
	if len(m.pids) != 3 {
		b.Fatalf("found %v, want this process, its apiserver and its etcd", m.pids)
	}
	return m
}

// read returns each process's CPU seconds so far.
func (m *cpuMeter) read(b testing.TB) map[string]float64 {
	out := map[string]float64{}
	for name, pid := range m.pids {
		_, _, secs, ok := procStat(pid)
		if !ok {
			b.Fatalf("cannot read /proc/%d/stat (%s)", pid, name)
		}
		out[name] = secs
	}
	return out
}

// report adds, per process, the milliseconds of CPU per item since before.
func (m *cpuMeter) report(b *testing.B, before map[string]float64, items int) {
	after := m.read(b)
	for name, secs := range after {
		b.ReportMetric((secs-before[name])*1000/float64(items), name+"-cpu-ms/svc")
	}
}

// procStat parses /proc/PID/stat: parent, command name, and user+system
// CPU seconds (clock ticks are 100 per second on Linux).
func procStat(pid int) (ppid int, comm string, cpu float64, ok bool) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, "", 0, false
	}
	s := string(data)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return 0, "", 0, false
	}
	comm = s[open+1 : closing]
	// After the name: state ppid pgrp session tty tpgid flags minflt
	// cminflt majflt cmajflt utime stime ...
	f := strings.Fields(s[closing+1:])
	if len(f) < 13 {
		return 0, "", 0, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	utime, err2 := strconv.ParseFloat(f[11], 64)
	stime, err3 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, "", 0, false
	}
	return ppid, comm, (utime + stime) / 100, true
}

// serviceAccountConfig returns a client configuration that authenticates
// as a ServiceAccount token, as a controller in a cluster does, instead of
// envtest's client certificate (the apiserver verifies a certificate chain
// on every request, but caches tokens), and with the install's roles
// (config/rbac/controller), so that the apiserver's authorization work is
// what a cluster's would be.
func serviceAccountConfig(b testing.TB) *rest.Config {
	ctx := b.Context()
	const ns, name = "ironlb-system", "bench-controller"
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if err := env.Client.Create(ctx, sa); err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatal(err)
	}
	stream, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "rbac", "controller", "role.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	roles, err := install.Parse(stream)
	if err != nil {
		b.Fatal(err)
	}
	subjects := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}}
	var bound int
	for _, r := range roles {
		if err := env.Client.Create(ctx, r); err != nil && !apierrors.IsAlreadyExists(err) {
			b.Fatal(err)
		}
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: r.GetKind(), Name: r.GetName()}
		var binding client.Object
		switch r.GetKind() {
		case "ClusterRole":
			binding = &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, RoleRef: ref, Subjects: subjects}
		case "Role":
			binding = &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: r.GetNamespace(), Name: name}, RoleRef: ref, Subjects: subjects}
		default:
			continue
		}
		if err := env.Client.Create(ctx, binding); err != nil && !apierrors.IsAlreadyExists(err) {
			b.Fatal(err)
		}
		bound++
	}
	if bound != 2 {
		b.Fatalf("bound %d roles from config/rbac/controller/role.yaml, want its ClusterRole and Role", bound)
	}
	tr := &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}
	if err := env.Client.SubResource("token").Create(ctx, sa, tr); err != nil {
		b.Fatal(err)
	}
	cfg := rest.AnonymousClientConfig(env.Config)
	cfg.BearerToken = tr.Status.Token
	return cfg
}
