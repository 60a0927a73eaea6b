package memberkey

import (
	"testing"

	"github.com/hashicorp/memberlist"
)

// TestValidKeyAgreesWithMemberlist: the controller generates and accepts
// exactly the keys the speakers' memberlist will take.
func TestValidKeyAgreesWithMemberlist(t *testing.T) {
	for n := range 65 {
		k := make([]byte, n)
		if got, want := validKey(k), memberlist.ValidateKey(k) == nil; got != want {
			t.Errorf("key of %d bytes: validKey %v, memberlist %v", n, got, want)
		}
	}
	if !validKey(make([]byte, KeySize)) {
		t.Errorf("the generated key size %d is not valid", KeySize)
	}
}
