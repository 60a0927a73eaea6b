// Package lab builds ironlb's test network (DESIGN.md §5) out of Linux network
// namespaces on one machine: a LAN bridge, an FRR router (eBGP, AS 64500), a
// BIRD router (iBGP, AS 64512), nodes with a pod namespace each, a client, and
// an outside network behind the FRR router; for the layer-2 mode a second
// segment (lan2) that every node's eth1 and client2 sit on. e2e suites and
// `make lab` start it with [Up] and remove it with [Lab.Down]. Besides the
// routers' views, it answers what a client sees: ARP and NDP replies,
// neighbour entries, and a [Prober] that times a failover.
//
// Everything the lab creates lives in namespaces named Options.Prefix+name,
// so several labs can coexist and [Sweep] can remove what a crashed one left.
// Nothing is added to the host namespace: no link, address, route or sysctl.
// Processes in a node namespace reach the kube-apiserver on host loopback
// through an in-process forwarder whose listener sits inside the namespace at
// the apiserver's own address, so TLS names and kubeconfigs stay the same.
//
// The package is Linux only and needs root, iproute2, FRR 8 and BIRD 2
// (hack/labdeps.sh installs them). The facts it relies on were measured and
// are written down in TESTBED.md.
package lab
