package layer2

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/google/go-cmp/cmp"
)

func TestWatcher(t *testing.T) {
	requireRoot(t)
	ns := fmt.Sprintf("l2t%d-%d-watch", os.Getpid(), labCount.Add(1))
	ip(t, "netns", "add", ns)
	t.Cleanup(func() { ip(t, "netns", "del", ns) })
	ip(t, "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
	// This kernel has no dummy links; a VXLAN is virtual too.
	ip(t, "-n", ns, "link", "add", "vxlan0", "type", "vxlan", "id", "5", "dstport", "4789")
	ip(t, "-n", ns, "link", "add", "br0", "type", "bridge")

	w := NewWatcher(testr.New(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	inNetns(t, ns, func() { done <- w.Run(ctx) })
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return within 10 s of its context ending")
		}
	})

	lan := []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}
	// changed waits for a poke and then for cond, since one poke may
	// cover several changes.
	changed := func(what string, cond func([]Link) bool) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case <-w.Changes():
				if cond(w.Links()) {
					return
				}
			case <-deadline:
				t.Fatalf("timed out waiting for %s; links: %+v", what, w.Links())
			}
		}
	}
	find := func(links []Link, name string) Link {
		i := slices.IndexFunc(links, func(l Link) bool { return l.Name == name })
		if i < 0 {
			return Link{}
		}
		return links[i]
	}

	changed("the first list", func(links []Link) bool { return len(links) == 5 })
	names := []string{}
	for _, l := range w.Links() {
		names = append(names, l.Name+"/"+l.Kind)
	}
	if diff := cmp.Diff([]string{"br0/bridge", "eth0/veth", "eth1/veth", "lo/device", "vxlan0/vxlan"}, names); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
	if lo := find(w.Links(), "lo"); !lo.Loopback {
		t.Errorf("lo = %+v, want Loopback", lo)
	}

	ip(t, "-n", ns, "addr", "add", "198.51.100.11/24", "dev", "eth0")
	ip(t, "-n", ns, "addr", "add", "198.51.100.15/24", "dev", "vxlan0")
	ip(t, "-n", ns, "link", "set", "eth0", "up")
	ip(t, "-n", ns, "link", "set", "eth1", "up")
	ip(t, "-n", ns, "link", "set", "vxlan0", "up")
	changed("eth0 and vxlan0 to be up with their addresses", func(links []Link) bool {
		e, v := find(links, "eth0"), find(links, "vxlan0")
		return e.Up && slices.Contains(e.Prefixes, netip.MustParsePrefix("198.51.100.11/24")) &&
			v.Up && slices.Contains(v.Prefixes, netip.MustParsePrefix("198.51.100.15/24"))
	})
	if got := Select(w.Links(), nil, lan); !cmp.Equal(got, []string{"eth0"}) {
		t.Errorf("Select = %v, want [eth0]", got)
	}
	if e := find(w.Links(), "eth0"); e.MAC == nil || e.Index == 0 {
		t.Errorf("eth0 = %+v, want its MAC and index", e)
	}

	// eth1 joins the bridge; eth0 loses its carrier when eth1 goes down.
	ip(t, "-n", ns, "link", "set", "eth1", "master", "br0")
	changed("eth1 to be enslaved", func(links []Link) bool { return find(links, "eth1").Enslaved })
	ip(t, "-n", ns, "link", "set", "eth1", "down")
	changed("eth0 to lose its carrier", func(links []Link) bool { return !find(links, "eth0").Up })
	if got := Select(w.Links(), nil, lan); len(got) != 0 {
		t.Errorf("Select = %v with eth0 down, want none", got)
	}
}
