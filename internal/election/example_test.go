package election_test

import (
	"fmt"
	"net/netip"

	"github.com/ironlb/ironlb/internal/election"
)

func ExampleOwner() {
	ip := netip.MustParseAddr("198.51.100.200")
	live := []string{"node1", "node2", "node3"}

	owner, _ := election.Owner(ip, live)
	fmt.Println("owner:", owner)

	// node2 stops: the next in rank takes over, and only node2's IPs move.
	owner, _ = election.Owner(ip, []string{"node1", "node3"})
	fmt.Println("after node2 leaves:", owner)
	// Output:
	// owner: node2
	// after node2 leaves: node3
}

func ExampleRank() {
	ip := netip.MustParseAddr("198.51.100.200")
	fmt.Println(election.Rank(ip, []string{"node1", "node2", "node3"}))
	// Output: [node2 node3 node1]
}
