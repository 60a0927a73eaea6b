package announce_test

import (
	"testing"

	"github.com/ironlb/ironlb/internal/deptest"
)

// The planner must run in a CLI and in the controller with nothing but the
// standard library and the pure election (STYLE.md rule 1).
func TestDeps(t *testing.T) {
	deptest.StdlibOnly(t, "github.com/ironlb/ironlb/speaker/internal/announce", "github.com/ironlb/ironlb/internal/election")
}
