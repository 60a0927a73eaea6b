//go:build linux

package lab

import (
	"fmt"
	"strings"
)

// StartKubeProxy runs kube-proxy in nftables mode in a node namespace, as
// the node named node, with the flags TESTBED found to matter: conntrack
// sizes and timeouts at 0 leave the (partly global) conntrack sysctls alone,
// NodePorts open only on the LAN addresses, and metrics and healthz bind to
// the node's own loopback (per namespace, so the ports are the same on every
// node). kubeconfig reaches the apiserver at Options.APIServer, which the
// lab forwards into every node. The log is Dir/kube-proxy-<node>.log.
func (l *Lab) StartKubeProxy(node, kubeconfig, binary string) (*Proc, error) {
	if !strings.HasPrefix(node, "node") {
		return nil, fmt.Errorf("kube-proxy: %q is not a node", node)
	}
	return l.Start(node, "kube-proxy-"+node, binary,
		"--kubeconfig="+kubeconfig,
		"--hostname-override="+node,
		"--proxy-mode=nftables",
		"--conntrack-max-per-core=0",
		"--conntrack-tcp-timeout-established=0",
		"--conntrack-tcp-timeout-close-wait=0",
		"--nodeport-addresses="+LANPrefix(4).String()+","+LANPrefix(6).String(),
		"--metrics-bind-address=127.0.0.1:10249",
		"--healthz-bind-address=127.0.0.1:10256",
	)
}
