package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Well-known standard communities, by the names v1alpha1.Community accepts.
const (
	CommunityNoExport          uint32 = 0xFFFFFF01 // RFC 1997
	CommunityNoAdvertise       uint32 = 0xFFFFFF02 // RFC 1997
	CommunityNoExportSubconfed uint32 = 0xFFFFFF03 // RFC 1997
	CommunityNoPeer            uint32 = 0xFFFFFF04 // RFC 3765
	CommunityBlackhole         uint32 = 0xFFFF029A // RFC 7999
	CommunityGracefulShutdown  uint32 = 0xFFFF0000 // RFC 8326
	CommunityAcceptOwn         uint32 = 0xFFFF0001 // RFC 7611
	CommunityLLGRStale         uint32 = 0xFFFF0006 // RFC 9494
	CommunityNoLLGR            uint32 = 0xFFFF0007 // RFC 9494
)

var wellKnownCommunities = [...]struct {
	name  string
	value uint32
}{
	{"no-export", CommunityNoExport},
	{"no-advertise", CommunityNoAdvertise},
	{"no-export-subconfed", CommunityNoExportSubconfed},
	{"no-peer", CommunityNoPeer},
	{"blackhole", CommunityBlackhole},
	{"graceful-shutdown", CommunityGracefulShutdown},
	{"accept-own", CommunityAcceptOwn},
	{"llgr-stale", CommunityLLGRStale},
	{"no-llgr", CommunityNoLLGR},
}

// Community is a BGP community: standard (RFC 1997) or large (RFC 8092). It
// is comparable, so it can be a map key.
type Community struct {
	// Large tells which kind it is.
	Large bool
	// Value is a standard community: the AS in the high 16 bits, the local
	// value in the low 16.
	Value uint32
	// GlobalAdmin, LocalData1 and LocalData2 are a large community's parts.
	GlobalAdmin, LocalData1, LocalData2 uint32
}

// StandardCommunity returns the standard community with value v.
func StandardCommunity(v uint32) Community { return Community{Value: v} }

// LargeCommunity returns the large community global:local1:local2.
func LargeCommunity(global, local1, local2 uint32) Community {
	return Community{Large: true, GlobalAdmin: global, LocalData1: local1, LocalData2: local2}
}

const communityForms = "a standard community 65000:100 (numbers 0-65535), a well-known name (no-export, no-advertise, no-export-subconfed, no-peer, blackhole, graceful-shutdown, accept-own, llgr-stale, no-llgr) or a large community large:64500:1:2 (numbers 0-4294967295)"

// ParseCommunity parses a community as v1alpha1.Community spells it, and
// accepts exactly what its CEL rule accepts: a well-known name (lowercase),
// "A:B" with 1-5 digits each and values up to 65535, or "large:A:B:C" with
// 1-10 digits each and values up to 4294967295. Leading zeros are allowed,
// as CEL's int() allows them; String gives the canonical spelling.
func ParseCommunity(s string) (Community, error) {
	for _, w := range wellKnownCommunities {
		if s == w.name {
			return StandardCommunity(w.value), nil
		}
	}
	if rest, ok := strings.CutPrefix(s, "large:"); ok {
		parts := strings.Split(rest, ":")
		if len(parts) != 3 {
			return Community{}, fmt.Errorf("%q is not a community: a large community has three numbers, large:64500:1:2", s)
		}
		var v [3]uint32
		for i, p := range parts {
			n, err := communityNumber(p, 10, 1<<32-1)
			if err != nil {
				return Community{}, fmt.Errorf("%q is not a community: %w in a large community", s, err)
			}
			v[i] = uint32(n)
		}
		return LargeCommunity(v[0], v[1], v[2]), nil
	}
	asn, local, ok := strings.Cut(s, ":")
	if !ok || strings.Contains(local, ":") {
		return Community{}, fmt.Errorf("%q is not a community: write %s", s, communityForms)
	}
	hi, err := communityNumber(asn, 5, 1<<16-1)
	if err != nil {
		return Community{}, fmt.Errorf("%q is not a community: %w in a standard community; write %s", s, err, communityForms)
	}
	lo, err := communityNumber(local, 5, 1<<16-1)
	if err != nil {
		return Community{}, fmt.Errorf("%q is not a community: %w in a standard community; write %s", s, err, communityForms)
	}
	return StandardCommunity(uint32(hi<<16 | lo)), nil
}

// communityNumber parses 1 to digits ASCII digits with a value up to max.
func communityNumber(s string, digits int, max uint64) (uint64, error) {
	if s == "" || len(s) > digits || strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, fmt.Errorf("%q is not a number of 1 to %d digits", s, digits)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > max {
		return 0, fmt.Errorf("%s is out of range 0-%d", s, max)
	}
	return n, nil
}

// String returns the canonical spelling: the well-known name if the value
// has one, else "A:B" or "large:A:B:C" without leading zeros.
func (c Community) String() string {
	if c.Large {
		return fmt.Sprintf("large:%d:%d:%d", c.GlobalAdmin, c.LocalData1, c.LocalData2)
	}
	for _, w := range wellKnownCommunities {
		if c.Value == w.value {
			return w.name
		}
	}
	return fmt.Sprintf("%d:%d", c.Value>>16, c.Value&0xFFFF)
}
