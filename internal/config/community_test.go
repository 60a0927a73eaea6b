package config_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ironlb/ironlb/internal/config"
)

func TestParseCommunity(t *testing.T) {
	for _, tc := range []struct {
		in        string
		want      config.Community
		canonical string // String() of the result; empty: in
		wantErr   string
	}{
		{in: "no-export", want: config.StandardCommunity(0xFFFFFF01)},
		{in: "no-advertise", want: config.StandardCommunity(0xFFFFFF02)},
		{in: "no-export-subconfed", want: config.StandardCommunity(0xFFFFFF03)},
		{in: "no-peer", want: config.StandardCommunity(0xFFFFFF04)},
		{in: "blackhole", want: config.StandardCommunity(0xFFFF029A)},
		{in: "graceful-shutdown", want: config.StandardCommunity(0xFFFF0000)},
		{in: "accept-own", want: config.StandardCommunity(0xFFFF0001)},
		{in: "llgr-stale", want: config.StandardCommunity(0xFFFF0006)},
		{in: "no-llgr", want: config.StandardCommunity(0xFFFF0007)},
		{in: "65000:100", want: config.StandardCommunity(65000<<16 | 100)},
		{in: "0:0", want: config.StandardCommunity(0)},
		{in: "65535:65535", want: config.StandardCommunity(0xFFFFFFFF)},
		{in: "65535:65281", want: config.StandardCommunity(0xFFFFFF01), canonical: "no-export"},
		{in: "65535:666", want: config.StandardCommunity(0xFFFF029A), canonical: "blackhole"},
		{in: "00065:00001", want: config.StandardCommunity(65<<16 | 1), canonical: "65:1"},
		{in: "large:64500:1:2", want: config.LargeCommunity(64500, 1, 2)},
		{in: "large:0:0:0", want: config.LargeCommunity(0, 0, 0)},
		{in: "large:4294967295:4294967295:4294967295", want: config.LargeCommunity(1<<32-1, 1<<32-1, 1<<32-1)},
		{in: "large:0000000001:02:3", want: config.LargeCommunity(1, 2, 3), canonical: "large:1:2:3"},

		{in: "", wantErr: "is not a community"},
		{in: "65536:1", wantErr: "65536 is out of range 0-65535"},
		{in: "1:65536", wantErr: "out of range"},
		{in: "123456:1", wantErr: `"123456" is not a number of 1 to 5 digits`},
		{in: "65000", wantErr: "write a standard community"},
		{in: ":100", wantErr: "not a number"},
		{in: "65000:", wantErr: "not a number"},
		{in: "1:2:3", wantErr: "write a standard community"},
		{in: "-1:100", wantErr: "not a number"},
		{in: "+1:100", wantErr: "not a number"},
		{in: " 1:1", wantErr: "not a number"},
		{in: "1:1\n", wantErr: "not a number"},
		{in: "0x10:1", wantErr: "not a number"},
		{in: "１:1", wantErr: "not a number"},
		{in: "large:1:2", wantErr: "three numbers"},
		{in: "large:1:2:3:4", wantErr: "three numbers"},
		{in: "large:4294967296:0:0", wantErr: "4294967296 is out of range 0-4294967295"},
		{in: "large:12345678901:0:0", wantErr: "1 to 10 digits"},
		{in: "large:-1:0:0", wantErr: "not a number"},
		{in: "LARGE:1:2:3", wantErr: "is not a community"},
		{in: "NO-EXPORT", wantErr: "well-known name"},
		{in: "no_export", wantErr: "is not a community"},
		{in: "no-export ", wantErr: "is not a community"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := config.ParseCommunity(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseCommunity(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCommunity(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseCommunity(%q) (-want +got):\n%s", tc.in, diff)
			}
			canonical := tc.canonical
			if canonical == "" {
				canonical = tc.in
			}
			if s := got.String(); s != canonical {
				t.Errorf("ParseCommunity(%q).String() = %q, want %q", tc.in, s, canonical)
			}
		})
	}
}
