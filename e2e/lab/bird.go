//go:build linux

package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

// birdTemplate is BIRD's configuration. The BIRD router shares the nodes' AS,
// so the sessions are iBGP; BIRD takes iBGP neighbours to be multihop unless
// told `direct`, and a multihop session cannot use the direct gateway mode
// that resolves a node's next hop on the LAN (bird -p says so). The kernel
// protocols install what BGP learned, merging equal routes from several
// nodes into one ECMP route.
var birdTemplate = template.Must(template.New("bird.conf").Parse(`router id {{.RouterID}};
log stderr all;
# Full timestamps, so that a session's age can be read back.
timeformat protocol iso long ms;
timeformat route iso long ms;

protocol device {}

protocol kernel kernel4 {
  merge paths yes;
  ipv4 { import none; export where source = RTS_BGP; };
}

protocol kernel kernel6 {
  merge paths yes;
  ipv6 { import none; export where source = RTS_BGP; };
}

template bgp nodes {
  local as {{.ASN}};
  direct;
{{- if .Hold}}
  hold time {{.Hold}};
  keepalive time {{.Keepalive}};
{{- end}}
{{- if .Password}}
  password "{{.Password}}";
{{- end}}
  ipv4 { import all; export none; };
  ipv6 { import all; export none; };
}
{{range $i, $r := .Ranges}}
protocol bgp nodes{{$r.Family}} from nodes {
  local {{$r.Local}};
  neighbor range {{$r.Range}} internal;
  dynamic name "peer{{$r.Family}}_";
}
{{end -}}
`))

type birdRange struct {
	Family int
	Local  netip.Addr
	Range  netip.Prefix
}

type birdData struct {
	RouterID        netip.Addr
	ASN             int
	Keepalive, Hold int
	Password        string
	Ranges          []birdRange
}

// RenderBIRD returns the BIRD router's configuration for b, for
// [Lab.ConfigureBIRD]. Tests that need more edit the text.
func RenderBIRD(b BGPOptions) (string, error) {
	var buf bytes.Buffer
	err := birdTemplate.Execute(&buf, birdData{
		RouterID: Router2Addr(4), ASN: NodeASN,
		Keepalive: int(b.KeepaliveTime / time.Second), Hold: int(b.HoldTime / time.Second),
		Password: b.Password,
		Ranges: []birdRange{
			{Family: 4, Local: Router2Addr(4), Range: LANPrefix(4)},
			{Family: 6, Local: Router2Addr(6), Range: LANPrefix(6)},
		},
	})
	if err != nil {
		return "", fmt.Errorf("render bird.conf: %w", err)
	}
	return buf.String(), nil
}

func (l *Lab) birdConf() string { return filepath.Join(l.runDir, "bird.conf") }
func (l *Lab) birdCtl() string  { return filepath.Join(l.runDir, "bird.ctl") }

func (l *Lab) writeBIRDConfig(text string) error {
	if err := os.WriteFile(l.birdConf(), []byte(text), 0o644); err != nil {
		return fmt.Errorf("write bird.conf: %w", err)
	}
	return nil
}

// startBIRD runs bird in the foreground (-f) so that the lab's Proc is the
// daemon, logging to stderr, and waits until it answers on its socket.
func (l *Lab) startBIRD(ctx context.Context) error {
	_ = os.Remove(l.birdCtl())
	p, err := l.Start(Router2, "bird", "bird", "-f", "-c", l.birdConf(), "-s", l.birdCtl(),
		"-P", filepath.Join(l.runDir, "bird.pid"))
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.bird = p
	l.mu.Unlock()
	err = poll(ctx, 30*time.Second, func() (bool, error) {
		if !p.Running() {
			return false, fmt.Errorf("bird exited: %w", p.Err())
		}
		_, err := l.Birdc(ctx, "show", "status")
		return err == nil, nil
	})
	if err != nil {
		return fmt.Errorf("bird (see %s): %w", l.LogPath("bird"), err)
	}
	return nil
}

// Birdc runs one birdc command against the BIRD router, e.g.
// Birdc(ctx, "show", "protocols", "all").
func (l *Lab) Birdc(ctx context.Context, args ...string) ([]byte, error) {
	// birdc talks to bird over its unix socket, so it runs in the host
	// namespace.
	out, err := exec.CommandContext(ctx, "birdc", append([]string{"-s", l.birdCtl()}, args...)...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("birdc %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// BIRDConfig returns the BIRD router's current configuration.
func (l *Lab) BIRDConfig() (string, error) {
	b, err := os.ReadFile(l.birdConf())
	return string(b), err
}

// ConfigureBIRD replaces the BIRD router's configuration and has the running
// daemon load it (`birdc configure`). The new text also applies to later
// starts of the router. A configuration BIRD rejects is not kept.
func (l *Lab) ConfigureBIRD(ctx context.Context, conf string) error {
	old, err := l.BIRDConfig()
	if err != nil {
		return err
	}
	if err := l.writeBIRDConfig(conf); err != nil {
		return err
	}
	out, err := l.Birdc(ctx, "configure")
	// birdc exits 0 even when the file does not parse; the reply says.
	if err == nil && (!bytes.Contains(out, []byte("Reconfigur")) || bytes.Contains(out, []byte("failed"))) {
		err = fmt.Errorf("birdc configure: %s", strings.TrimSpace(string(out)))
	}
	if err != nil {
		return errors.Join(err, l.writeBIRDConfig(old))
	}
	return nil
}
