//go:build linux

// Package cluster runs ironlb on the lab: a real control plane on host
// loopback, the lab's namespaces and routers, a kube-proxy and a speaker per
// node, and the controller. The end-to-end tests and `make lab` both start
// it with [Up]; [Cluster.Down] removes every part, also after a failure.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ironlb/ironlb/e2e/lab"
	"github.com/ironlb/ironlb/internal/testenv"
)

// Namespace is where the ironlb components live, as when installed.
const Namespace = "ironlb-system"

// Options configure a cluster.
type Options struct {
	// Prefix and Dir are the lab's (see lab.Options).
	Prefix string
	Dir    string
	// Nodes is the number of nodes (0 means 3).
	Nodes int
	// Bin holds the speaker and controller binaries (see Build).
	Bin string
	// BGP configures the routers' side of the sessions.
	BGP lab.BGPOptions
	Log logr.Logger
}

// Cluster is a running lab with ironlb on it.
type Cluster struct {
	Env *testenv.Env
	Lab *lab.Lab

	opts       Options
	kubeconfig string
	assets     string
	speakers   map[string]*lab.Proc
	proxies    map[string]*lab.Proc
	// kubeconfigs of the components' ServiceAccount tokens, by component.
	identities map[string]string
	controller *exec.Cmd
	ctrlDone   chan struct{}
	// ctrlHealth is the controller's /healthz and /readyz address, on host
	// loopback.
	ctrlHealth string
}

// Up starts everything but the ironlb configuration: control plane, lab,
// Nodes, kube-proxies, speakers and the controller. On error it removes what
// it started.
func Up(ctx context.Context, o Options) (_ *Cluster, err error) {
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	c := &Cluster{opts: o, speakers: map[string]*lab.Proc{}, proxies: map[string]*lab.Proc{}, identities: map[string]string{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Down())
		}
	}()
	if c.assets, err = testenv.AssetsDir(); err != nil {
		return nil, err
	}
	o.Log.Info("Starting the control plane")
	if c.Env, err = testenv.Start(); err != nil {
		return nil, err
	}
	c.kubeconfig = filepath.Join(o.Dir, "kubeconfig")
	if err := os.WriteFile(c.kubeconfig, c.Env.KubeConfig, 0o600); err != nil {
		return nil, err
	}
	api, err := apiAddr(c.Env.Config.Host)
	if err != nil {
		return nil, err
	}
	if c.Lab, err = lab.Up(ctx, lab.Options{
		Prefix: o.Prefix, Dir: o.Dir, Nodes: o.Nodes, APIServer: api, Log: o.Log, BGP: o.BGP,
	}); err != nil {
		return nil, err
	}
	if err := c.Env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}); err != nil {
		return nil, fmt.Errorf("create namespace %s: %w", Namespace, err)
	}
	// The identities and RBAC of config/default: the speakers and the
	// controller run with ServiceAccount tokens, not as admin. The
	// memberlist Secret comes without a key; the controller fills it.
	if err := c.installIdentities(ctx); err != nil {
		return nil, err
	}
	for i := 1; i <= o.Nodes; i++ {
		if err := c.createNode(ctx, i); err != nil {
			return nil, err
		}
		name := lab.NodeName(i)
		if err := c.StartKubeProxy(name); err != nil {
			return nil, err
		}
		if err := c.StartSpeaker(name); err != nil {
			return nil, err
		}
	}
	if err := c.StartController(); err != nil {
		return nil, err
	}
	return c, nil
}

// MemberlistSecret holds the speakers' gossip key.
const MemberlistSecret = "ironlb-memberlist"

// nodeIndex is i of "node<i>".
func nodeIndex(node string) int {
	i, err := strconv.Atoi(strings.TrimPrefix(node, "node"))
	if err != nil {
		panic("not a lab node name: " + node)
	}
	return i
}

// Down stops the controller, the lab (speakers, kube-proxies, routers,
// namespaces) and the control plane. It is safe to call more than once.
func (c *Cluster) Down() error {
	var errs []error
	errs = append(errs, c.StopController())
	if c.Lab != nil {
		errs = append(errs, c.Lab.Down())
		c.Lab = nil
	}
	if c.Env != nil {
		errs = append(errs, c.Env.Stop())
		c.Env = nil
	}
	return errors.Join(errs...)
}

// KubeConfig is the path of the admin kubeconfig (kube-proxy's and the
// tests'; ironlb's components have their own, see identity.go).
func (c *Cluster) KubeConfig() string { return c.kubeconfig }

// identity returns the kubeconfig of a component's ServiceAccount token
// ("controller" or a node name), made on first use.
func (c *Cluster) identity(who string) (string, error) {
	if p, ok := c.identities[who]; ok {
		return p, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var (
		p   string
		err error
	)
	if who == "controller" {
		_, p, err = c.ControllerConfig(ctx)
	} else {
		_, p, err = c.SpeakerConfig(ctx, who)
	}
	if err != nil {
		return "", err
	}
	c.identities[who] = p
	return p, nil
}

// StartSpeaker starts the speaker of a node (again, after StopSpeaker).
func (c *Cluster) StartSpeaker(node string) error {
	kubeconfig, err := c.identity(node)
	if err != nil {
		return err
	}
	return c.StartSpeakerWith(node, kubeconfig)
}

// StartSpeakerWith starts the speaker of a node with another identity.
func (c *Cluster) StartSpeakerWith(node, kubeconfig string) error {
	p, err := c.Lab.Start(node, "speaker-"+node,
		filepath.Join(c.opts.Bin, "speaker"),
		"--kubeconfig", kubeconfig,
		"--node-name", node,
		"--namespace", Namespace,
		// Per-namespace ports: every node namespace has its own loopback.
		"--metrics-bind-address", "127.0.0.1:7472",
		"--health-probe-bind-address", "127.0.0.1:7473",
		"--pprof-bind-address", "127.0.0.1:7474",
		"--memberlist-bind-address", lab.NodeAddr(nodeIndex(node), 4).String(),
		"--memberlist-secret", MemberlistSecret,
		"--log-level", "info",
	)
	if err != nil {
		return err
	}
	c.speakers[node] = p
	return nil
}

// StartKubeProxy starts the kube-proxy of a node.
func (c *Cluster) StartKubeProxy(node string) error {
	p, err := c.Lab.StartKubeProxy(node, c.kubeconfig, filepath.Join(c.assets, "kube-proxy"))
	if err != nil {
		return err
	}
	c.proxies[node] = p
	return nil
}

// StopKubeProxy stops the kube-proxy of a node, so that benchmarks of
// ironlb at scale do not share the machine's cores with kube-proxy
// reprogramming nftables for every new Service.
func (c *Cluster) StopKubeProxy(node string) error {
	p := c.proxies[node]
	if p == nil {
		return nil
	}
	delete(c.proxies, node)
	return p.Stop()
}

// Speaker is the running speaker process of a node, nil if none.
func (c *Cluster) Speaker(node string) *lab.Proc { return c.speakers[node] }

// StopSpeaker stops a node's speaker with SIGTERM.
func (c *Cluster) StopSpeaker(node string) error {
	p := c.speakers[node]
	if p == nil {
		return nil
	}
	delete(c.speakers, node)
	return p.Stop()
}

// KillSpeaker kills a node's speaker with SIGKILL, as a crash would.
func (c *Cluster) KillSpeaker(node string) error {
	p := c.speakers[node]
	if p == nil {
		return nil
	}
	delete(c.speakers, node)
	return p.Kill()
}

// StartController runs the controller in the host namespace: it talks only
// to the apiserver on loopback.
func (c *Cluster) StartController() error {
	kubeconfig, err := c.identity("controller")
	if err != nil {
		return err
	}
	if c.ctrlHealth == "" {
		if c.ctrlHealth, err = freeLoopbackPort(); err != nil {
			return err
		}
	}
	log, err := os.OpenFile(filepath.Join(c.opts.Dir, "controller.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(filepath.Join(c.opts.Bin, "controller"),
		"--kubeconfig", kubeconfig,
		// Leader election as installed: the Lease in ironlb-system, under
		// the Role of config/rbac.
		"--leader-elect=true",
		"--metrics-bind-address", "0",
		"--health-probe-bind-address", c.ctrlHealth,
	)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start controller: %w", err)
	}
	c.controller, c.ctrlDone = cmd, make(chan struct{})
	go func(done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(c.ctrlDone)
	return nil
}

// ControllerHealthAddr is the host:port of the controller's /healthz and
// /readyz, on host loopback.
func (c *Cluster) ControllerHealthAddr() string { return c.ctrlHealth }

// freeLoopbackPort returns 127.0.0.1:<a port free now>.
func freeLoopbackPort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// StopController stops the controller with SIGTERM (SIGKILL after 5 s).
func (c *Cluster) StopController() error {
	if c.controller == nil {
		return nil
	}
	cmd, done := c.controller, c.ctrlDone
	c.controller = nil
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return nil
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return errors.New("controller ignored SIGTERM; killed")
	}
}

// Build compiles the speaker and the controller into dir.
func Build(ctx context.Context, dir string, out io.Writer) error {
	root := testenv.RepoRoot()
	for _, cmdName := range []string{"speaker", "controller"} {
		// As the images build them (hack/image.sh): static, stripped.
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, cmdName), "./"+cmdName)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s: %w", cmdName, err)
		}
	}
	return nil
}

// apiAddr is the host:port of the apiserver's URL.
func apiAddr(host string) (netip.AddrPort, error) {
	u, err := url.Parse(host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("apiserver URL %q: %w", host, err)
	}
	ap, err := netip.ParseAddrPort(u.Host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("apiserver URL %q: %w", host, err)
	}
	return ap, nil
}
