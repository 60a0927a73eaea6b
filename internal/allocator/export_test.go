package allocator

// CheckInvariants lets the black-box tests verify the internal bookkeeping
// after every step.
func CheckInvariants(a *Allocator) error { return a.check() }
