package allocator_test

import (
	"testing"

	"github.com/ironlb/ironlb/internal/deptest"
)

// The allocator must run in the controller, in a CLI and in fuzz tests with
// nothing but the standard library (DESIGN.md §2).
func TestDeps(t *testing.T) {
	deptest.StdlibOnly(t, "github.com/ironlb/ironlb/internal/allocator")
}
