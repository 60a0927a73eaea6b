// Package allocator is ironlb's IP address management: it hands out addresses
// from pools of ranges to LoadBalancer Services, records who holds which
// address, applies the rules for sharing one address between Services, and
// counts what each pool has left.
//
// The package is pure (standard library only, proven by deps_test.go), so the
// controller, a CLI that explains a plan and the fuzz tests all run the same
// code on plain values. The rules come from DESIGN.md §4:
//
//   - Deterministic: the same sequence of calls gives the same answers. An
//     automatic assignment is the lowest free address of the first candidate
//     pool that has one, never a random or hash-chosen one.
//   - Stable: a Service keeps its address for as long as its request still
//     allows it. After a restart the caller rebuilds the state with
//     [Allocator.Import] from Service status before serving any
//     [Allocator.Assign], so a restart never moves an address.
//   - O(log n): the free addresses of each pool and family are kept as ranges
//     in a balanced search tree, so an assignment costs the same whether a
//     hundred or a million addresses are in use, and an IPv6 /64 is as cheap
//     as an IPv4 /30.
//
// IPv4 and IPv6 share one implementation on 128-bit integers; [netip.Addr]
// values are converted only at the API boundary. An IPv4-mapped IPv6 address
// (::ffff:198.18.2.1) is taken as the IPv4 address it maps, as the election
// package does, because a Service status or a pool may spell an address
// either way; results always use the plain IPv4 form.
//
// An [Allocator] is safe for concurrent use, but determinism is a property of
// the order of calls, which a caller that serves requests concurrently does
// not control: the controller serves allocation from one worker.
package allocator
