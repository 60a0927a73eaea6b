package config

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/ironlb/ironlb/api/v1alpha1"
)

// Kinds of the objects a [Problem] is about.
const (
	KindIPPool          = "IPPool"
	KindL2Announcement  = "L2Announcement"
	KindBGPPeer         = "BGPPeer"
	KindBGPAnnouncement = "BGPAnnouncement"
)

// Problem is one thing wrong with one object, in the terms a reconciler
// writes into that object's conditions.
type Problem struct {
	// Kind and Name identify the object (all ironlb kinds are
	// cluster-scoped).
	Kind string
	Name string
	// Field is the path of the offending field, such as
	// "spec.addresses[2]"; empty when the object as a whole is at fault.
	Field string
	// Reason is v1alpha1.ReasonInvalid, ReasonOverlap or
	// ReasonMissingReference, for a condition's reason.
	Reason string
	// Message says what is wrong and what would be right, for a person.
	Message string
}

// Error returns the problem in one line: IPPool "lab": spec.addresses[2]: ...
func (p Problem) Error() string {
	if p.Field == "" {
		return fmt.Sprintf("%s %q: %s", p.Kind, p.Name, p.Message)
	}
	return fmt.Sprintf("%s %q: %s: %s", p.Kind, p.Name, p.Field, p.Message)
}

// Problems is every problem [Parse] found, sorted by kind, name, field
// (numeric indices in numeric order), reason and message, so that the same
// input always gives the same list.
type Problems []Problem

// For returns the problems of one object, in order; nil if it has none.
func (ps Problems) For(kind, name string) []Problem {
	var out []Problem
	for _, p := range ps {
		if p.Kind == kind && p.Name == name {
			out = append(out, p)
		}
	}
	return out
}

// Err joins every problem into one error, or returns nil if there are none.
// Each joined error is a [Problem], for errors.As.
func (ps Problems) Err() error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errors.Join(errs...)
}

func (ps Problems) sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Name, b.Name),
			compareNatural(a.Field, b.Field),
			cmp.Compare(a.Reason, b.Reason),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// compareNatural compares strings with runs of digits taken as numbers, so
// that spec.addresses[2] sorts before spec.addresses[10].
func compareNatural(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := trimZeros(a[:da]), trimZeros(b[:db])
			if c := cmp.Or(cmp.Compare(len(na), len(nb)), cmp.Compare(na, nb)); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// problems collects the problems of one object.
type problems struct {
	kind, name string
	list       *Problems
	invalid    bool // some problem makes the object unusable
}

// invalidf records a problem with the object's own spec: the object is left
// out of the Config.
func (o *problems) invalidf(field, format string, args ...any) {
	o.invalid = true
	o.add(field, v1alpha1.ReasonInvalid, fmt.Sprintf(format, args...))
}

func (o *problems) add(field, reason, msg string) {
	*o.list = append(*o.list, Problem{Kind: o.kind, Name: o.name, Field: field, Reason: reason, Message: msg})
}
