package config

import (
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/ironlb/ironlb/api/v1alpha1"
)

// Input is everything the configuration depends on. Order does not matter;
// names are unique, as in the API.
type Input struct {
	Pools            []v1alpha1.IPPool
	L2Announcements  []v1alpha1.L2Announcement
	Peers            []v1alpha1.BGPPeer
	BGPAnnouncements []v1alpha1.BGPAnnouncement

	// Namespaces resolve the pools' namespaceSelectors into a concrete set of
	// allowed namespaces. Pass every Namespace; one missing here is not
	// selected by any selector (but is still allowed by name).
	Namespaces []corev1.Namespace
	// Secrets hold the BGPPeers' passwords. Only Data is read (StringData is
	// write-only in the API).
	Secrets []corev1.Secret
	// SecretNamespace is the namespace of a passwordSecretRef that names
	// none: the speaker's own namespace.
	SecretNamespace string
}

// Config is the validated configuration: only objects that can be used as
// the user wrote them are in it (see the package documentation).
type Config struct {
	// Pools by name.
	Pools map[string]*Pool
	// L2Announcements sorted by name.
	L2Announcements []*L2Announcement
	// Peers by name.
	Peers map[string]*Peer
	// BGPAnnouncements sorted by name.
	BGPAnnouncements []*BGPAnnouncement
}

// Parse validates in and returns the configuration it describes, with every
// problem found. The Config is never nil and holds every valid object, even
// when others are broken.
func Parse(in Input) (*Config, Problems) {
	p := &parser{
		in: in,
		cfg: &Config{
			Pools: map[string]*Pool{},
			Peers: map[string]*Peer{},
		},
		pools: newRefs(KindIPPool),
		peers: newRefs(KindBGPPeer),
	}
	p.parsePools()
	p.parseL2Announcements()
	p.parsePeers()
	p.parseBGPAnnouncements()
	p.problems.sort()
	return p.cfg, p.problems
}

// parser holds the state of one Parse.
type parser struct {
	in       Input
	cfg      *Config
	problems Problems
	pools    refs // valid pools, for the announcements
	peers    refs // valid peers, for the BGP announcements
}

func (p *parser) object(kind, name string) *problems {
	return &problems{kind: kind, name: name, list: &p.problems}
}

// refs are the objects of one kind that others may refer to.
type refs struct {
	kind  string
	valid map[string]labels.Set // valid objects: their labels
	why   map[string]string     // objects in the input that are not valid: why
}

func newRefs(kind string) refs {
	return refs{kind: kind, valid: map[string]labels.Set{}, why: map[string]string{}}
}

// resolve turns a list of names or a selector (neither: every valid object)
// into the sorted names of valid objects. Names of missing or invalid
// objects are reported and skipped; a bad selector makes the object invalid.
func (p *parser) resolve(o *problems, r *refs, field string, names []v1alpha1.ObjectName, selField string, sel *metav1.LabelSelector) []string {
	var out []string
	switch {
	case len(names) > 0:
		for i, n := range names {
			name := string(n)
			_, valid := r.valid[name]
			switch why, known := r.why[name]; {
			case valid:
				out = append(out, name)
			case known:
				o.add(fmt.Sprintf("%s[%d]", field, i), v1alpha1.ReasonMissingReference,
					fmt.Sprintf("%s %q is not used: %s; see its conditions", r.kind, name, why))
			default:
				o.add(fmt.Sprintf("%s[%d]", field, i), v1alpha1.ReasonMissingReference,
					fmt.Sprintf("%s %q does not exist", r.kind, name))
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	case sel != nil:
		s, ok := selector(o, selField, sel)
		if !ok {
			return nil
		}
		for _, name := range slices.Sorted(maps.Keys(r.valid)) {
			if s.Matches(r.valid[name]) {
				out = append(out, name)
			}
		}
		return out
	}
	return slices.Sorted(maps.Keys(r.valid))
}

// selector parses a label selector; nil stays nil, which the model reads as
// "everything" (unlike metav1.LabelSelectorAsSelector, which reads it as
// nothing).
func selector(o *problems, field string, ls *metav1.LabelSelector) (_ labels.Selector, ok bool) {
	if ls == nil {
		return nil, true
	}
	s, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		o.invalidf(field, "invalid label selector: %v", err)
		return nil, false
	}
	return s, true
}

// matches reports whether a selector of the model (nil: everything) matches
// a set of labels.
func matches(s labels.Selector, l map[string]string) bool {
	return s == nil || s.Matches(labels.Set(l))
}

// contains reports whether the sorted names hold name.
func contains(sorted []string, name string) bool {
	_, ok := slices.BinarySearch(sorted, name)
	return ok
}
