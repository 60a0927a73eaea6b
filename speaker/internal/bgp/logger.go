package bgp

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/go-logr/logr"
	"github.com/osrg/gobgp/v3/pkg/log"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
)

// gobgpLogger adapts GoBGP's logger to logr, and picks out of GoBGP's log
// lines the reasons a session fails, which its API does not expose.
type gobgpLogger struct {
	log logr.Logger
	// peerError receives, by neighbor address, why a session failed.
	peerError func(addr, reason string)
}

// Panic and Fatal are logged, not obeyed: GoBGP calls them on bad policy
// input too, and a library must not end the process.
func (l gobgpLogger) Panic(msg string, f log.Fields) { l.Error(msg, f) }
func (l gobgpLogger) Fatal(msg string, f log.Fields) { l.Error(msg, f) }

func (l gobgpLogger) Error(msg string, f log.Fields) {
	l.capture(msg, f)
	l.log.Error(errors.New(msg), "GoBGP error", keyValues(f)...)
}

func (l gobgpLogger) Warn(msg string, f log.Fields) {
	if strings.HasPrefix(msg, "No matching path for withdraw found") {
		// Our import policy rejects every path a router sends, which
		// GoBGP handles as the withdrawal of a path it never installed:
		// one line per received route is expected, not worth a warning.
		return
	}
	l.capture(msg, f)
	l.log.Info("GoBGP warning", append([]any{"event", msg}, keyValues(f)...)...)
}

func (l gobgpLogger) Info(msg string, f log.Fields) {
	l.capture(msg, f)
	l.log.V(1).Info("GoBGP", append([]any{"event", msg}, keyValues(f)...)...)
}

// Debug lines are not logged (there is one per connect retry and per path),
// but dial errors only come at this level.
func (l gobgpLogger) Debug(msg string, f log.Fields) { l.capture(msg, f) }

func (gobgpLogger) SetLevel(log.LogLevel) {}

// GetLevel claims debug so that GoBGP reports dial errors at all.
func (gobgpLogger) GetLevel() log.LogLevel { return log.DebugLevel }

func keyValues(f log.Fields) []any {
	kv := make([]any, 0, 2*len(f))
	for _, k := range slices.Sorted(maps.Keys(f)) {
		if k == "Topic" {
			continue
		}
		// Formatting here keeps GoBGP's internal types out of the sink's
		// encoder, which might walk them.
		kv = append(kv, strings.ToLower(k), fmt.Sprint(f[k]))
	}
	return kv
}

func (l gobgpLogger) capture(msg string, f log.Fields) {
	if l.peerError == nil {
		return
	}
	addr, _ := f["Key"].(string)
	if addr == "" {
		return
	}
	if reason := failure(msg, f); reason != "" {
		l.peerError(addr, reason)
	}
}

// failure turns one GoBGP log line into the reason a session failed, or ""
// when the line is not about a failure. Cease notifications we send are our
// own doing (deleting or disabling a neighbor), not a failure.
func failure(msg string, f log.Fields) string {
	switch msg {
	case "failed to connect":
		return fmt.Sprintf("connect: %v", f["Error"])
	case "received notification":
		return "received NOTIFICATION " + notification(f)
	case "sent notification":
		if n := notification(f); n != "" && !strings.Contains(n, "(cease)") {
			return "sent NOTIFICATION " + n
		}
	case "hold timer expired":
		return "hold timer expired"
	case "Peer Down":
		// Notifications are reported with more detail when they happen.
		if r := fmt.Sprint(f["Reason"]); !strings.HasPrefix(r, "notification-") && r != "dying" && r != "admin-down" {
			return "session down: " + r
		}
	}
	if strings.HasPrefix(msg, "Session will be reset") {
		err, ok := f["Error"]
		if !ok {
			err = f["error"]
		}
		return fmt.Sprintf("%s: %v", msg, err)
	}
	return ""
}

// notification describes the NOTIFICATION in a log line's fields: GoBGP
// gives either Code and Subcode, or the MessageError it sent as Data.
func notification(f log.Fields) string {
	code, ok1 := f["Code"].(uint8)
	sub, ok2 := f["Subcode"].(uint8)
	if e, ok := f["Data"].(*bgp.MessageError); ok && (!ok1 || !ok2) {
		code, sub, ok1, ok2 = e.TypeCode, e.SubTypeCode, true, true
	}
	if !ok1 || !ok2 {
		return ""
	}
	s := bgp.NewNotificationErrorCode(code, sub).String()
	if r, ok := f["Communicated-Reason"].(string); ok && r != "" {
		s += fmt.Sprintf(" %q", r)
	}
	return s
}
