package allocator

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the allocator returns wraps one of these with
// context (the operation, the Service, the address, the pools), so callers
// test with [errors.Is] and show the message to people as it is.
var (
	// ErrPoolExhausted: every candidate pool with the wanted family is full.
	ErrPoolExhausted = errors.New("no free address in the candidate pools")
	// ErrIPInUse: the address is held by a Service it may not be shared with.
	ErrIPInUse = errors.New("address in use")
	// ErrNotInPool: the requested address is in no pool.
	ErrNotInPool = errors.New("address in no pool")
	// ErrNotAllowed: the requested address is in a pool the Service may not
	// use, or one its pool never hands out (.0 or .255 with AvoidBuggyIPs).
	ErrNotAllowed = errors.New("address not allowed for this service")
	// ErrNoEligiblePool: no candidate pool has an address of the wanted
	// family at all, as opposed to having them all in use.
	ErrNoEligiblePool = errors.New("no candidate pool has addresses of this family")
	// ErrInvalidRequest: the request contradicts itself or is malformed; the
	// same request will fail again.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrInvalidPool: [Allocator.SetPools] was given pools that are
	// malformed or overlap; see also [OverlapError].
	ErrInvalidPool = errors.New("invalid pool")
)

// OverlapError reports two pools (or two ranges of one pool) that share
// addresses. The controller marks both pools with a Conflict condition. It
// matches [ErrInvalidPool] under [errors.Is].
type OverlapError struct {
	Pools  [2]string // the two pool names, equal if a pool overlaps itself
	Ranges [2]Range  // the overlapping ranges, in the order of Pools
}

func (e *OverlapError) Error() string {
	if e.Pools[0] == e.Pools[1] {
		return fmt.Sprintf("pool %q: ranges %s and %s overlap", e.Pools[0], e.Ranges[0], e.Ranges[1])
	}
	return fmt.Sprintf("pools %q and %q overlap: %s and %s", e.Pools[0], e.Pools[1], e.Ranges[0], e.Ranges[1])
}

// Unwrap makes errors.Is(err, ErrInvalidPool) hold.
func (e *OverlapError) Unwrap() error { return ErrInvalidPool }
