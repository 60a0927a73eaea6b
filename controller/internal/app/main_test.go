package app_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	ironlbv1 "github.com/ironlb/ironlb/api/v1alpha1"
	"github.com/ironlb/ironlb/controller/internal/app"
	"github.com/ironlb/ironlb/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapLevel())))
	os.Exit(testenv.Main(m, &env, func(e *testenv.Env) error {
		// The namespace of the controller's Lease.
		return e.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ironlb-system"}})
	}))
}

// testOptions are fast leader-election timings for tests.
func testOptions() app.Options {
	o := app.Defaults()
	o.MetricsAddr, o.HealthAddr = "0", "0"
	o.LeaseDuration, o.RenewDeadline, o.RetryPeriod = 4*time.Second, 3*time.Second, 250*time.Millisecond
	o.PoolStatusInterval = 100 * time.Millisecond
	o.Registry = prometheus.NewRegistry()
	return o
}

// startController runs a controller replica until the test ends or stop is
// called; stop waits for it to exit.
func startController(t *testing.T, o app.Options) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, env.Config, o) }()
	var stopped bool
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("controller exited: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// namespace creates a namespace for one test and removes it afterwards.
func namespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "t-", Labels: labels}}
	if err := env.Client.Create(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), ns) })
	return ns.Name
}

// create creates obj and deletes it when the test ends.
func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := env.Client.Create(t.Context(), obj); err != nil {
		t.Fatalf("create %T %s: %v", obj, obj.GetName(), err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), obj) })
}

func ipPool(name string, addresses ...string) *ironlbv1.IPPool {
	p := &ironlbv1.IPPool{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, a := range addresses {
		p.Spec.Addresses = append(p.Spec.Addresses, ironlbv1.AddressRange(a))
	}
	return p
}

func lbService(ns, name string, ports ...int32) *corev1.Service {
	if len(ports) == 0 {
		ports = []int32{80}
	}
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{}},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeLoadBalancer,
			Selector: map[string]string{"app": name},
			// The NodePort range holds 2,768 ports; the benchmarks create
			// 10,000 Services, and allocation does not depend on them.
			AllocateLoadBalancerNodePorts: ptr.To(false),
		},
	}
	for _, p := range ports {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{
			Name: fmt.Sprintf("p%d", p), Port: p, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080),
		})
	}
	return s
}

// zapLevel logs errors only, unless IRONLB_TEST_LOG is set.
func zapLevel() zapcore.Level {
	if os.Getenv("IRONLB_TEST_LOG") != "" {
		return zapcore.DebugLevel
	}
	return zapcore.ErrorLevel
}

func objectMeta(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name}
}
