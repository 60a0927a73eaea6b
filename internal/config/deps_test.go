package config_test

import (
	"testing"

	"github.com/ironlb/ironlb/internal/deptest"
)

// The parser runs in the controller, the speaker and a CLI alike, on plain
// values: it must not pull in a client, a controller framework or a
// data-plane library (DESIGN.md §2).
func TestDeps(t *testing.T) {
	deptest.Forbid(t, "github.com/ironlb/ironlb/internal/config",
		"sigs.k8s.io/controller-runtime", "k8s.io/client-go", "github.com/osrg/gobgp", "github.com/mdlayher")
}
