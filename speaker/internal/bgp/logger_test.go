package bgp

import (
	"testing"

	"github.com/osrg/gobgp/v3/pkg/log"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
)

func TestFailure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		msg    string
		fields log.Fields
		want   string
	}{
		{"failed to connect", log.Fields{"Error": "dial tcp 198.18.255.11:179: connect: connection refused"}, "connect: dial tcp 198.18.255.11:179: connect: connection refused"},
		{"received notification", log.Fields{"Code": uint8(2), "Subcode": uint8(2)}, "received NOTIFICATION code 2(open) subcode 2(bad peer as)"},
		{"received notification", log.Fields{"Code": uint8(6), "Subcode": uint8(2), "Communicated-Reason": "maintenance"}, `received NOTIFICATION code 6(cease) subcode 2(administrative shutdown) "maintenance"`},
		{"sent notification", log.Fields{"Data": &bgp.MessageError{TypeCode: 2, SubTypeCode: 6, Message: "unacceptable hold time"}}, "sent NOTIFICATION code 2(open) subcode 6(unacceptable hold time)"},
		{"sent notification", log.Fields{"Code": uint8(6), "Subcode": uint8(3)}, ""}, // our own Cease
		{"hold timer expired", log.Fields{}, "hold timer expired"},
		{"Peer Down", log.Fields{"Reason": "read-failed"}, "session down: read-failed"},
		{"Peer Down", log.Fields{"Reason": "notification-received code 6(cease) subcode 4(administrative reset)"}, ""},
		{"Peer Down", log.Fields{"Reason": "dying"}, ""},
		{"Session will be reset due to malformed BGP message", log.Fields{"Error": "bad attribute"}, "Session will be reset due to malformed BGP message: bad attribute"},
		{"Add a peer configuration", log.Fields{}, ""},
	} {
		if got := failure(tc.msg, tc.fields); got != tc.want {
			t.Errorf("failure(%q, %v) = %q, want %q", tc.msg, tc.fields, got, tc.want)
		}
	}
}
