package config_test

import (
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ironlb/ironlb/internal/config"
)

// TestAddressRulesAgree runs the same address strings through the CRD's CEL
// rules on the real apiserver and through internal/config's parser. They must
// agree: an address the apiserver admits but the parser refuses would leave a
// pool silently unused, and the reverse would make the parser the only guard.
func TestAddressRulesAgree(t *testing.T) {
	addresses := []string{
		"203.0.113.7", "203.0.113.0/24", "203.0.113.0/32", "0.0.0.0/0", "203.0.113.7/24",
		"203.0.113.9-203.0.113.10", "203.0.113.10-203.0.113.9", "198.51.100.99-198.51.100.100",
		"198.51.100.200-198.51.100.250", "203.0.113.5-203.0.113.5", "203.0.113.1-203.0.113.2-203.0.113.3",
		"203.0.113.1 - 203.0.113.5", " 203.0.113.1", "203.0.113.010", "300.1.1.1", "203.0.113", "-", "203.0.113.1-",
		"2001:db8:200::/120", "2001:db8:200::1/120", "::/0", "2001:db8::1/128", "2001:db8::1",
		"2001:db8::ffff-2001:db8::1:0", "2001:db8::1:0-2001:db8::ffff", "2001:DB8::A-2001:db8::b",
		"2001:db8::b-2001:DB8::A", "::-::1", "::1-::", "2001:db8::1-2001:db8:0:0:0:0:0:2",
		"2001:db8:0:0:0:0:0:3-2001:db8::2", "1::-1::1", "2001:db8::1-2001:db8::1.2.3.4",
		"2001:db8::1.2.3.4", "::ffff:203.0.113.1", "::ffff:203.0.113.0/120", "fe80::1%eth0",
		"203.0.113.10-2001:db8::1", "2001:db8::/129", "lab",
	}
	for _, a := range addresses {
		t.Run(a, func(t *testing.T) {
			u := mustYAML(t, object("IPPool", "{}"))
			u.Object["spec"] = map[string]any{"addresses": []any{a}}
			apiErr := env.Client.Create(t.Context(), u, client.DryRunAll)
			_, parseErr := config.ParseAddressRange(a)
			if (apiErr == nil) != (parseErr == nil) {
				t.Errorf("apiserver error: %v; parser error: %v; they must agree", apiErr, parseErr)
			}
		})
	}
}
