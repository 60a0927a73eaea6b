// Package members tells a speaker which speakers are alive, and whether it
// may count itself among them.
//
// Every speaker runs one [Members], a member of a hashicorp/memberlist
// cluster whose member names are Kubernetes node names. The layer-2 owner of
// an IP is the live candidate with the highest rendezvous score, computed by
// every speaker from [Members.Alive]; this package only keeps that set right
// and fast.
//
// # Failure detection arithmetic
//
// memberlist (SWIM) probes one member every ProbeInterval. A probe that gets
// no ack within ProbeTimeout is retried indirectly through IndirectChecks
// other members and over TCP until ProbeInterval has passed since the ping;
// the member is then suspected. A suspect is declared dead when its
// suspicion timer expires. The timer's floor is
//
//	min = SuspicionMult × max(1, log10(n)) × ProbeInterval
//
// and its ceiling is SuspicionMaxTimeoutMult × min. When the cluster is big
// enough to expect k = SuspicionMult-2 independent confirmations (n-2 ≥ k),
// the timer starts at the ceiling and every other member that suspects the
// node on its own shortens it, logarithmically, down to the floor after k
// confirmations; in smaller clusters it simply runs for the floor. The dead
// message then reaches the other members by gossip, GossipNodes members per
// GossipInterval.
//
// With the defaults (ProbeInterval 100 ms, ProbeTimeout 50 ms,
// SuspicionMult 3, SuspicionMaxTimeoutMult 2, GossipInterval 20 ms) and up
// to 10 nodes, a node that crashes or freezes is probed by some member
// within about one interval (each member probes a different node every
// interval), suspected 100 ms after that probe began, declared dead 300 ms
// later (600 ms at most, when the cluster is big enough to wait for
// confirmations that do not come), and the news spreads within a gossip
// round or two: about 0.5 s, and 0.9 s at worst, within the 1 s budget.
// Three members on loopback measure 0.45–0.8 s. Suspects still count as
// alive, as in memberlist's own member list: ownership moves on death only,
// so a node that is merely slow to answer probes keeps its IPs.
//
// A speaker that stops cleanly calls [Members.Leave], which gossips a leave
// at the next gossip round (≤ 20 ms); the others drop it at once, without
// any timeout (7–26 ms measured on loopback).
//
// # Never two answerers
//
// A speaker that was frozen (SIGSTOP, a paused VM, a stalled kernel) or cut
// off keeps its old view of the cluster when it comes back: it still believes
// it owns its IPs, while the others have declared it dead and moved those IPs
// to a new owner. If it answered ARP/NDP then, two nodes would answer for one
// IP. So this node counts itself alive (in [Members.Alive]) only while
// [Members.Trusted] is true, and trust is lost on any sign that others may
// have written it off:
//
//   - at start, until it has joined the cluster;
//   - when the process stalled: a heartbeat driven by the injected clock
//     finds that more than StallAfter passed since the previous beat.
//     [Members.Trusted] checks this itself, so even the first call after
//     the process resumes, before any goroutine had a chance to notice,
//     returns false. StallAfter is validated to be shorter than the
//     quickest possible death declaration, ProbeInterval × (1 +
//     SuspicionMult): a freeze that others can notice is always noticed here;
//   - when memberlist refutes a suspect, dead or conflicting alive message
//     about this node. memberlist v0.7.0 reports a refutation in two places
//     only: a "Refuting ..." log line, written synchronously while the
//     accusation is processed, and a +1 on GetHealthScore. The health score
//     also rises on failed probes of other nodes (always so in a two-node
//     cluster, where no member can nack), so it would make a survivor
//     distrust itself exactly when it must take over; and it falls again
//     after the next good probe, so polling can miss a rise. The log line is
//     unambiguous, so the package reads memberlist's log output, and a test
//     guards the wording of the pinned version;
//   - when a peer's state, received in a join, lists this node as suspect,
//     dead or left (MergeDelegate.NotifyMerge, a documented API and a second,
//     independent signal for the same event);
//   - when the speaker calls [Members.Leave].
//
// Trust returns only after a join (a TCP push/pull of the whole member state)
// that began after the latest such event has succeeded, and then a quiet
// period equal to the suspicion floor has passed. The join makes this node
// learn what the others believe about it (and refute it); an event during the
// join voids it and another join follows, so trust needs an exchange in which
// the peer already saw this node alive. The quiet period gives this node's
// refutation time to reach every other member by gossip, so that the interim
// owner has stopped answering before this node starts. Until then nobody
// answers for the moved IPs: clients keep using their neighbour entries, and
// the interim owner still forwards traffic sent to it.
//
// A single-node cluster must work, and so must the last survivor: when
// SetPeers named no other speaker and no other member is alive, the quiet
// period alone restores trust; when it named some but none is alive or
// reachable, AloneAfter does. Both cases need [Members.SetPeers] to have been
// called once, so that a speaker never trusts itself before it knows whether
// it has peers. A network partition that keeps both sides running is beyond
// what a membership protocol can resolve: each side then answers for what it
// believes it owns, and the first exchange after the partition heals (a join
// is retried to every known peer that is not a member) makes the side that
// was declared dead stand down as above.
//
// The cost of this caution is a short silence (about half a second) on a
// healthy node that was merely suspected, for example after lost probes;
// no traffic is lost by it, because neighbour entries outlive it.
//
// Gossip must be encrypted in production ([Options.Key]); without a key any
// host that reaches the port can join the cluster and claim IPs.
package members
