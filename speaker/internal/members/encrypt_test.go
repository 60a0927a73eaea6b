package members

import (
	"bytes"
	"maps"
	"strings"
	"testing"
)

func TestEncryption(t *testing.T) {
	shared := bytes.Repeat([]byte{1}, 32)
	keys := [][]byte{shared, shared, bytes.Repeat([]byte{2}, 16), nil}
	nodes := cluster(t, []string{"a", "b", "other-key", "clear-text"}, func(i int, o *Options) {
		o.Key = keys[i]
	})
	a, b, other, clear := nodes[0], nodes[1], nodes[2], nodes[3]
	waitFor(t, "a and b, which share a key, to see only each other", sees([]*testNode{a, b}, "a", "b"))

	// Run keeps trying to join every peer; try once more by hand and
	// check that each attempt across keys fails, in both directions.
	for _, tt := range []struct{ from, to *testNode }{
		{other, a}, {a, other}, {clear, a}, {a, clear}, {other, clear},
	} {
		_, err := tt.from.m.memberlist().Join([]string{tt.to.addr.String()})
		if err == nil {
			t.Errorf("%s joined %s across keys", tt.from.name, tt.to.name)
			continue
		}
		t.Logf("%s cannot join %s: %v", tt.from.name, tt.to.name, strings.Join(strings.Fields(err.Error()), " "))
	}
	for _, n := range []*testNode{other, clear} {
		for name := range n.m.memberlistMembers() {
			if name != n.name {
				t.Errorf("%s has %s as a member across keys", n.name, name)
			}
		}
	}
	if !sees([]*testNode{a, b}, "a", "b")() {
		t.Error("a or b took in a member with another key")
	}
}

// memberlistMembers are memberlist's own members, trusted or not.
func (m *Members) memberlistMembers() map[string]Member {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.members)
}
