//go:build linux

package lab

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

// FRR's daemons are run from their package location without /etc/frr
// (TESTBED): each gets the run dir for its sockets, pid file and config.
const frrBin = "/usr/lib/frr"

// frrTemplate is bgpd's configuration. The nodes dial the router (the speaker
// runs GoBGP without a listener), so the router accepts any LAN address
// through a dynamic listen range instead of naming each node. FRR 8 refuses
// to exchange eBGP routes without a policy unless ebgp-requires-policy is
// off (TESTBED). maximum-paths makes the nodes' equal routes an ECMP route
// in bgpd and, through zebra, in the kernel.
var frrTemplate = template.Must(template.New("bgpd.conf").Parse(`frr defaults traditional
hostname router
!
router bgp {{.ASN}}
 bgp router-id {{.RouterID}}
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
{{- if .GracefulRestart}}
 bgp graceful-restart
{{- end}}
 neighbor NODES peer-group
 neighbor NODES remote-as {{.PeerASN}}
 ! Do not send a node the routes of the other nodes: their AS path holds
 ! the nodes' own AS, so the node would only drop them (but keep them in
 ! memory). Routers facing Kubernetes nodes should filter the same way.
 neighbor NODES sender-as-path-loop-detection
{{- if .Hold}}
 neighbor NODES timers {{.Keepalive}} {{.Hold}}
{{- end}}
{{- if .Password}}
 neighbor NODES password {{.Password}}
{{- end}}
{{- range .Ranges}}
 bgp listen range {{.}} peer-group NODES
{{- end}}
 !
 address-family ipv4 unicast
  neighbor NODES activate
  maximum-paths 8
 exit-address-family
 !
 address-family ipv6 unicast
  neighbor NODES activate
  maximum-paths 8
 exit-address-family
!
`))

type frrData struct {
	ASN, PeerASN    int
	RouterID        netip.Addr
	Ranges          []netip.Prefix
	Keepalive, Hold int
	Password        string
	GracefulRestart bool
}

func renderFRR(b BGPOptions) (string, error) {
	var buf bytes.Buffer
	err := frrTemplate.Execute(&buf, frrData{
		ASN: RouterASN, PeerASN: NodeASN, RouterID: RouterAddr(4),
		Ranges:    []netip.Prefix{LANPrefix(4), LANPrefix(6)},
		Keepalive: int(b.KeepaliveTime / time.Second), Hold: int(b.HoldTime / time.Second),
		Password: b.Password, GracefulRestart: !b.NoGracefulRestart,
	})
	if err != nil {
		return "", fmt.Errorf("render bgpd.conf: %w", err)
	}
	return buf.String(), nil
}

// frr is the FRR router's pair of daemons.
type frr struct {
	zebra, bgpd *Proc
}

func (l *Lab) frrDir() string { return filepath.Join(l.runDir, "frr") }

// writeFRRConfig renders the configuration into the router's run dir. FRR
// runs as user frr, so the directory and files belong to frr (TESTBED).
func (l *Lab) writeFRRConfig() error {
	bgpd, err := renderFRR(l.opts.BGP)
	if err != nil {
		return err
	}
	uid, gid, err := frrIDs()
	if err != nil {
		return err
	}
	dir := l.frrDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("frr dir: %w", err)
	}
	files := map[string]string{"zebra.conf": "hostname router\n!\n", "bgpd.conf": bgpd}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o640); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := os.Chown(p, uid, gid); err != nil {
			return fmt.Errorf("frr config: %w", err)
		}
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("frr dir: %w", err)
	}
	return nil
}

// startFRR starts zebra, waits until it serves its API socket, then starts
// bgpd. Both run in the foreground (no -d) so that the lab's Proc is the
// daemon itself; -P 0 turns off their TCP vty ports.
func (l *Lab) startFRR(ctx context.Context) error {
	dir := l.frrDir()
	for _, s := range []string{"zebra.vty", "bgpd.vty", "zserv.api"} {
		_ = os.Remove(filepath.Join(dir, s)) // stale after a kill; readiness watches for new ones
	}
	common := func(daemon string) []string {
		return []string{filepath.Join(frrBin, daemon),
			"-z", filepath.Join(dir, "zserv.api"), "--vty_socket", dir,
			"-f", filepath.Join(dir, daemon+".conf"), "-i", filepath.Join(dir, daemon+".pid"),
			"-P", "0", "--log", "stdout", "--log-level", "informational"}
	}
	zebra, err := l.Start(Router, "zebra", common("zebra")...)
	if err != nil {
		return err
	}
	f := &frr{zebra: zebra}
	l.mu.Lock()
	l.frr = f
	l.mu.Unlock()
	if err := waitFiles(ctx, zebra, filepath.Join(dir, "zserv.api"), filepath.Join(dir, "zebra.vty")); err != nil {
		return fmt.Errorf("zebra (see %s): %w", l.LogPath("zebra"), err)
	}
	bgpd, err := l.Start(Router, "bgpd", common("bgpd")...)
	if err != nil {
		return err
	}
	l.mu.Lock()
	f.bgpd = bgpd
	l.mu.Unlock()
	if err := waitFiles(ctx, bgpd, filepath.Join(dir, "bgpd.vty")); err != nil {
		return fmt.Errorf("bgpd (see %s): %w", l.LogPath("bgpd"), err)
	}
	return nil
}

// Vtysh runs vtysh commands against the FRR router, in one session and in
// order, e.g. Vtysh(ctx, "configure terminal", "router bgp 64500",
// "neighbor NODES shutdown").
func (l *Lab) Vtysh(ctx context.Context, cmds ...string) ([]byte, error) {
	args := []string{"--vty_socket", l.frrDir()}
	for _, c := range cmds {
		args = append(args, "-c", c)
	}
	// vtysh talks to the daemons over their unix sockets, so it runs in
	// the host namespace.
	out, err := exec.CommandContext(ctx, "vtysh", args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("vtysh %s: %w: %s", strings.Join(cmds, "; "), err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// FRRConfig returns bgpd's configuration as the lab last wrote it.
func (l *Lab) FRRConfig() (string, error) {
	b, err := os.ReadFile(filepath.Join(l.frrDir(), "bgpd.conf"))
	return string(b), err
}

// waitFiles waits until every path exists, failing early if p exits.
func waitFiles(ctx context.Context, p *Proc, paths ...string) error {
	return poll(ctx, 30*time.Second, func() (bool, error) {
		if !p.Running() {
			return false, fmt.Errorf("%s exited: %w", p.Name(), p.Err())
		}
		for _, path := range paths {
			if _, err := os.Stat(path); err != nil {
				return false, nil
			}
		}
		return true, nil
	})
}

// poll calls cond every 20 ms until it reports done, returns an error, ctx
// ends or the timeout passes. Readiness of external daemons has no event
// to wait on.
func poll(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		done, err := cond()
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up waiting: %w", context.Cause(ctx))
		case <-t.C:
		}
	}
}
