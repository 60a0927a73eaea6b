//go:build linux

package lab

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/go-logr/logr/testr"
	"github.com/google/go-cmp/cmp"
)

// hostState is what the lab must never change in the host namespace.
func hostState(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ifi := range ifs {
		addrs, _ := ifi.Addrs()
		fmt.Fprintln(&b, ifi.Name, addrs)
	}
	for _, k := range []string{"ipv4/ip_forward", "ipv6/conf/all/forwarding", "ipv6/conf/all/keep_addr_on_down"} {
		v, err := os.ReadFile("/proc/sys/net/" + k)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, k, strings.TrimSpace(string(v)))
	}
	return b.String()
}

// fakeAPIServer listens on host loopback and greets every connection.
func fakeAPIServer(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fmt.Fprintln(c, "hello from the host")
				// Echo one line, to show both directions work.
				if line, err := bufio.NewReader(c).ReadString('\n'); err == nil {
					fmt.Fprint(c, "echo "+line)
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

func TestLab(t *testing.T) {
	requireLab(t)
	before := hostState(t)
	api := fakeAPIServer(t)
	l := up(t, Options{APIServer: api, Log: testr.New(t)})
	ctx := t.Context()

	t.Run("nodes reach the routers", func(t *testing.T) {
		for i := 1; i <= l.Nodes(); i++ {
			for _, dst := range []netip.Addr{RouterAddr(4), RouterAddr(6), Router2Addr(4), Router2Addr(6)} {
				if _, err := l.Exec(ctx, NodeName(i), "ping", "-c1", "-W2", dst.String()); err != nil {
					t.Error(err)
				}
			}
		}
	})
	t.Run("client reaches ext through the router", func(t *testing.T) {
		for _, f := range []int{4, 6} {
			if _, err := l.Exec(ctx, Client, "ping", "-c1", "-W2", ExtAddr(f).String()); err != nil {
				t.Error(err)
			}
		}
	})
	t.Run("node1 reaches pod2 via node2", func(t *testing.T) {
		for _, f := range []int{4, 6} {
			got, err := l.Dial(ctx, NodeName(1), netip.AddrPortFrom(PodAddr(2, f), PodPort))
			if err != nil {
				t.Fatal(err)
			}
			if want := "pod=pod2 node=node2 client=" + NodeAddr(1, f).String(); got != want {
				t.Errorf("reply %q, want %q", got, want)
			}
		}
	})
	t.Run("routers run", func(t *testing.T) {
		out, err := l.Vtysh(ctx, "show version")
		if err != nil || !strings.Contains(string(out), "FRRouting") {
			t.Errorf("vtysh show version: %v\n%s", err, out)
		}
		out, err = l.Birdc(ctx, "show", "status")
		if err != nil || !strings.Contains(string(out), "Daemon is up and running") {
			t.Errorf("birdc show status: %v\n%s", err, out)
		}
		for _, f := range []int{4, 6} {
			if r, err := l.FRRRoutes(ctx, f); err != nil || len(r) != 0 {
				t.Errorf("FRRRoutes(%d) = %v, %v; want none", f, r, err)
			}
			if r, err := l.BIRDRoutes(ctx, f); err != nil || len(r) != 0 {
				t.Errorf("BIRDRoutes(%d) = %v, %v; want none", f, r, err)
			}
		}
	})
	t.Run("apiserver forwarder", func(t *testing.T) {
		for i := 1; i <= l.Nodes(); i++ {
			got, err := l.Dial(ctx, NodeName(i), api)
			if err != nil || got != "hello from the host" {
				t.Errorf("Dial(%s, %s) = %q, %v", NodeName(i), api, got, err)
			}
		}
		// A process in the node namespace, both directions.
		script := fmt.Sprintf(`exec 3<>/dev/tcp/%s/%d; read -r a <&3; echo ping >&3; read -r b <&3; echo "$a|$b"`, api.Addr(), api.Port())
		out, err := l.Exec(ctx, NodeName(1), "bash", "-c", script)
		if err != nil || strings.TrimSpace(string(out)) != "hello from the host|echo ping" {
			t.Errorf("bash in node1: %q, %v", out, err)
		}
		// The client has no forwarder: loopback there is its own.
		if got, err := l.Dial(ctx, Client, api); err == nil {
			t.Errorf("client reached the host apiserver: %q", got)
		}
	})
	t.Run("kernel routes", func(t *testing.T) {
		got, err := l.KernelRoutes(NodeName(1), 4)
		if err != nil {
			t.Fatal(err)
		}
		want := map[netip.Prefix][]netip.Addr{
			netip.MustParsePrefix("0.0.0.0/0"): {RouterAddr(4)},
			LANPrefix(4):                       nil,
			LAN2Prefix(4):                      nil,
			PodPrefix(1, 4):                    nil,
			PodPrefix(2, 4):                    {NodeAddr(2, 4)},
			PodPrefix(3, 4):                    {NodeAddr(3, 4)},
		}
		if diff := cmp.Diff(want, got, netipCmp); diff != "" {
			t.Errorf("node1 IPv4 routes (-want +got):\n%s", diff)
		}
		got6, err := l.KernelRoutes(NodeName(1), 6)
		if err != nil {
			t.Fatal(err)
		}
		if gw := got6[netip.MustParsePrefix("::/0")]; len(gw) != 1 || gw[0] != RouterAddr(6) {
			t.Errorf("node1 IPv6 default route via %v, want %s", gw, RouterAddr(6))
		}
	})
	t.Run("sysctls stay in the namespaces", func(t *testing.T) {
		out, err := l.Exec(ctx, NodeName(1), "cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/keep_addr_on_down")
		if err != nil || strings.Fields(string(out))[0] != "1" || strings.Fields(string(out))[1] != "1" {
			t.Errorf("node1 sysctls: %q, %v", out, err)
		}
		if after := hostState(t); after != before {
			t.Errorf("host namespace changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})
}
