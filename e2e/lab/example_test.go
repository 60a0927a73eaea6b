//go:build linux

package lab_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/ironlb/ironlb/e2e/lab"
)

// A lab for an e2e suite: up, a look from the client at a pod through
// node1's NodePort, down.
func ExampleUp() {
	ctx := context.Background()
	l, err := lab.Up(ctx, lab.Options{
		Prefix:    "ilb-",
		Dir:       "/tmp/ilb-lab",
		APIServer: netip.MustParseAddrPort("127.0.0.1:6443"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() {
		if err := l.Down(); err != nil {
			fmt.Println(err)
		}
	}()
	// kube-proxy in every node, reaching the apiserver at 127.0.0.1:6443
	// inside the node through the lab's forwarder.
	for i := 1; i <= l.Nodes(); i++ {
		if _, err := l.StartKubeProxy(lab.NodeName(i), "/tmp/ilb-lab/kubeconfig", "/path/to/kube-proxy"); err != nil {
			fmt.Println(err)
			return
		}
	}
	reply, err := l.Dial(ctx, lab.Client, netip.AddrPortFrom(lab.NodeAddr(1, 4), 30080))
	fmt.Println(reply, err)
}
