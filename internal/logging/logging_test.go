package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"strings"
	"testing"
)

// TestLevels: each level logs what it names and nothing below it, the old
// flag name still sets it, and the lines are JSON with the logger's name.
func TestLevels(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string // messages logged, of: error, info, v1, v2
	}{
		{nil, []string{"error", "info"}},
		{[]string{"--log-level=error"}, []string{"error"}},
		{[]string{"--log-level=debug"}, []string{"error", "info", "v1"}},
		{[]string{"--log-level=2"}, []string{"error", "info", "v1", "v2"}},
		{[]string{"--zap-log-level=debug"}, []string{"error", "info", "v1"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var o Options
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			o.BindFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			log, err := o.Logger(&out)
			if err != nil {
				t.Fatal(err)
			}
			log = log.WithName("controller").WithValues("pool", "blue")
			log.Error(errors.New("boom"), "error")
			log.Info("info")
			log.V(1).Info("v1")
			log.V(2).Info("v2")
			var got []string
			for line := range strings.SplitSeq(strings.TrimSpace(out.String()), "\n") {
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("line %q is not JSON: %v", line, err)
				}
				if rec["logger"] != "controller" || rec["pool"] != "blue" {
					t.Errorf("line %q: no logger name or value", line)
				}
				got = append(got, rec["msg"].(string))
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("logged %v, want %v", got, tc.want)
			}
		})
	}
}

// TestBadOptions: a level or format that means nothing is an error naming
// the flag, not a silent default.
func TestBadOptions(t *testing.T) {
	for _, o := range []Options{{Level: "loud"}, {Level: "-1"}, {Level: "info", Format: "xml"}} {
		if _, err := o.Logger(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "--log-") {
			t.Errorf("%+v: error %v, want one naming the flag", o, err)
		}
	}
	var out bytes.Buffer
	log, err := Options{Level: "info", Format: "text"}.Logger(&out)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hello", "k", "v")
	if s := out.String(); !strings.Contains(s, "msg=hello") || !strings.Contains(s, "k=v") {
		t.Errorf("text format wrote %q", s)
	}
}
