// Package config turns ironlb's custom resources into one validated model:
// [Parse] reads every IPPool, L2Announcement, BGPPeer and BGPAnnouncement
// (plus the Namespaces and Secrets they refer to) and returns a [Config] of
// parsed values (address ranges of [netip.Addr], parsed label selectors,
// timers with their defaults applied, references resolved to names of valid
// objects) and the [Problems] it found.
//
// The controller, the speaker and any CLI call the same function on the same
// inputs, so they agree on what the configuration means (DESIGN.md §2, STYLE.md
// rule 4). The package is pure: no API server, clock or socket, only values.
//
// # Checks
//
// The CRD's schema and CEL rules reject single-object mistakes at admission;
// Parse checks them again, because objects created before a CRD upgrade, or
// written by tests and tools that skip admission, bypass CEL. Where a rule is
// written in CEL (address and community syntax, timers) this package accepts
// exactly what CEL accepts, so an object is never admitted and then refused.
// On top of that Parse checks the rules that span objects: overlapping pools,
// dangling references, aggregation lengths that do not fit a pool, localPref
// on eBGP-only announcements, and passwords in Secrets.
//
// # What a problem does to its object
//
// One broken object never hides or breaks the others: every valid object is
// in the Config whatever else is wrong.
//
//   - An object whose own spec is wrong (an address, a selector, a timer, an
//     interface glob, a community) is left out entirely, because using part
//     of it could do something the user did not ask for: an announcement
//     without its no-export community leaks routes, one without its bad
//     interface glob answers on the default interfaces instead.
//   - An IPPool that overlaps an older pool is left out; the older one keeps
//     working.
//   - A BGPPeer whose password cannot be read is left out: a session without
//     the password would never establish and would hide the real error.
//   - An announcement that names a pool or peer that does not exist or is not
//     valid keeps its other pools and peers (and is kept even when none are
//     left). A pool that does not fit the announcement's aggregation length
//     is dropped from that announcement only.
//   - localPref on an announcement whose peers are all eBGP is reported but
//     harmless: the attribute is simply not sent.
//
// So "is this object in use" is answered by the Config, and "why not, or
// what is odd about it" by [Problems.For].
package config
