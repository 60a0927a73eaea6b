package app_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ironlb/ironlb/controller/internal/memberkey"
	"github.com/ironlb/ironlb/internal/kube"
)

// TestMemberlistKey: a missing or unusable gossip key is replaced by 32
// random bytes, with an Event; a valid one is left alone.
func TestMemberlistKey(t *testing.T) {
	valid := bytes.Repeat([]byte{7}, 16)
	tests := []struct {
		name  string
		data  map[string][]byte
		keep  bool   // the key must stay as it was
		event string // part of the Event, "" for none
	}{
		{name: "none", data: nil, event: "Generated the member-list key"},
		{name: "empty", data: map[string][]byte{"secretkey": {}}, event: "Generated the member-list key"},
		{name: "wrong-length", data: map[string][]byte{"secretkey": []byte("short")}, event: "invalid length"},
		{name: "valid", data: map[string][]byte{"secretkey": valid}, keep: true},
	}
	kc, err := kube.New(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	secrets := kube.NewInformer(kc, kube.Secrets, &corev1.Secret{}, kube.InformerOptions{Namespace: "ironlb-system"})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go secrets.Run(ctx)
	// cached waits until the reconciler's cache holds the Secret as the
	// apiserver has it.
	cached := func(t *testing.T, key client.ObjectKey) corev1.Secret {
		t.Helper()
		var got corev1.Secret
		eventually(t, 30*time.Second, func(ctx context.Context) error {
			if err := env.Client.Get(ctx, key, &got); err != nil {
				return err
			}
			if c, ok := secrets.Get(key); !ok || c.ResourceVersion != got.ResourceVersion {
				return fmt.Errorf("the cache lags behind resource version %s", got.ResourceVersion)
			}
			return nil
		})
		return got
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ironlb-system", Name: "memberlist-" + tc.name}, Data: tc.data}
			create(t, s)
			rec := events.NewFakeRecorder(10)
			req := client.ObjectKeyFromObject(s)
			r := &memberkey.Reconciler{Client: kc, Secrets: secrets, Recorder: rec, Secret: req}
			cached(t, req)
			if _, err := r.Reconcile(t.Context(), req); err != nil {
				t.Fatal(err)
			}
			got := cached(t, req)
			key := got.Data[memberkey.Field]
			switch {
			case tc.keep && !bytes.Equal(key, valid):
				t.Fatalf("a valid key was replaced: %x", key)
			case !tc.keep && (len(key) != memberkey.KeySize || bytes.Equal(key, make([]byte, memberkey.KeySize))):
				t.Fatalf("key %x, want %d random bytes", key, memberkey.KeySize)
			}
			select {
			case e := <-rec.Events:
				if tc.event == "" || !strings.Contains(e, tc.event) {
					t.Errorf("Event %q, want one with %q", e, tc.event)
				}
			default:
				if tc.event != "" {
					t.Errorf("no Event, want one with %q", tc.event)
				}
			}
			// A second pass changes nothing: the key is stable.
			if _, err := r.Reconcile(t.Context(), req); err != nil {
				t.Fatal(err)
			}
			var again corev1.Secret
			if err := env.Client.Get(t.Context(), req, &again); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Data[memberkey.Field], key) {
				t.Error("a second pass changed the key")
			}
		})
	}
}

// TestMemberlistKeyByController: the running controller fills the key of
// the Secret it is told about, also when the Secret appears after it starts.
func TestMemberlistKeyByController(t *testing.T) {
	o := testOptions()
	o.LeaderElectionID = "memberkey-controller"
	o.MemberlistSecret = "memberlist-late"
	startController(t, o)
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ironlb-system", Name: o.MemberlistSecret}}
	create(t, s)
	eventually(t, 30*time.Second, func(ctx context.Context) error {
		var got corev1.Secret
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(s), &got); err != nil {
			return err
		}
		if n := len(got.Data[memberkey.Field]); n != memberkey.KeySize {
			return fmt.Errorf("key of %d bytes", n)
		}
		return nil
	})
}
