package config

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/ironlb/ironlb/api/v1alpha1"
)

// L2Announcement is a valid L2Announcement: which pools' addresses are
// answered for by ARP and NDP, from which nodes, on which interfaces.
type L2Announcement struct {
	Name string
	// Pools are the names of the valid pools announced, sorted: those listed
	// in spec.ipPools that are valid, or those spec.ipPoolSelector matches,
	// or every valid pool when the spec names neither. It may be empty.
	Pools []string
	// NodeSelector limits the nodes that may answer; nil means every node.
	NodeSelector labels.Selector
	// Interfaces are names or path.Match globs, sorted and without
	// duplicates. Empty means the interfaces that carry the node's
	// InternalIP subnet, which only the speaker can tell.
	Interfaces []string
}

// SelectsPool reports whether the announcement covers the named pool.
func (a *L2Announcement) SelectsPool(name string) bool { return contains(a.Pools, name) }

// SelectsNode reports whether a node with these labels may answer.
func (a *L2Announcement) SelectsNode(nodeLabels map[string]string) bool {
	return matches(a.NodeSelector, nodeLabels)
}

func (p *parser) parseL2Announcements() {
	objs := slices.Clone(p.in.L2Announcements)
	slices.SortFunc(objs, func(a, b v1alpha1.L2Announcement) int { return cmp.Compare(a.Name, b.Name) })
	for i := range objs {
		obj := &objs[i]
		spec := &obj.Spec
		o := p.object(KindL2Announcement, obj.Name)
		a := &L2Announcement{Name: obj.Name}
		if len(spec.IPPools) > 0 && spec.IPPoolSelector != nil {
			o.invalidf("spec", "set ipPools or ipPoolSelector, not both")
		}
		a.Pools = p.resolve(o, &p.pools, "spec.ipPools", spec.IPPools, "spec.ipPoolSelector", spec.IPPoolSelector)
		a.NodeSelector, _ = selector(o, "spec.nodeSelector", spec.NodeSelector)
		for j, ifc := range spec.Interfaces {
			if err := checkInterface(string(ifc)); err != nil {
				o.invalidf(fmt.Sprintf("spec.interfaces[%d]", j), "%v", err)
				continue
			}
			a.Interfaces = append(a.Interfaces, string(ifc))
		}
		slices.Sort(a.Interfaces)
		a.Interfaces = slices.Compact(a.Interfaces)
		if !o.invalid {
			p.cfg.L2Announcements = append(p.cfg.L2Announcements, a)
		}
	}
}

// checkInterface applies the schema of v1alpha1.InterfaceName and checks
// that the glob is well formed: path.Match reports a malformed pattern even
// when matching the empty name.
func checkInterface(s string) error {
	const allowed = "letters, digits and - _ . * ? [ ] ^"
	switch {
	case s == "":
		return fmt.Errorf("interface name is empty")
	case len(s) > 64:
		return fmt.Errorf("interface name %q is %d characters long; at most 64 are allowed", s, len(s))
	case strings.ContainsFunc(s, func(r rune) bool { return !isInterfaceRune(r) }):
		return fmt.Errorf("interface name %q may contain only %s", s, allowed)
	}
	if _, err := path.Match(s, ""); err != nil {
		return fmt.Errorf("interface glob %q is malformed (%w): use * and ? as wildcards and close every [ with ], such as enp* or bond[01]", s, err)
	}
	return nil
}

func isInterfaceRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-_.*?[]^", r)
}
