// Package announce is the speaker's planner: from plain values describing
// the cluster (Services with their addresses and endpoints, pools, peers,
// announcements, and the node itself) it computes what this node must
// advertise, to whom, and with which attributes.
//
// The planner is pure: no Kubernetes, GoBGP or sockets (a test proves it), so
// the speaker, the controller and a CLI can ask it the same question and get
// the same answer. The speaker gathers the inputs, calls [Compute] and hands
// the result to the BGP adapter; it never branches on what changed.
package announce
