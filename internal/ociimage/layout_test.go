package ociimage_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ironlb/ironlb/internal/deptest"
	"github.com/ironlb/ironlb/internal/ociimage"
)

func TestStdlibOnly(t *testing.T) {
	deptest.StdlibOnly(t, "github.com/ironlb/ironlb/internal/ociimage")
}

// handmade is a layout written here, without hack/image: index.json lists
// one image of one gzip layer.
type handmade struct {
	dir    string
	config ociimage.Config
	layer  ociimage.Descriptor
}

func writeBlob(t *testing.T, dir, mediaType string, b []byte) ociimage.Descriptor {
	t.Helper()
	sum := sha256.Sum256(b)
	d := ociimage.Descriptor{MediaType: mediaType, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(b))}
	writeFile(t, filepath.Join(dir, "blobs", "sha256", hex.EncodeToString(sum[:])), b)
	return d
}

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newHandmade(t *testing.T) handmade {
	t.Helper()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	mtime := time.Unix(1700000000, 0).UTC()
	for _, h := range []*tar.Header{
		{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777, ModTime: mtime},
		{Typeflag: tar.TypeReg, Name: "hello", Mode: 0o755, Size: 2, Uid: 7, Gid: 8, ModTime: mtime},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tw.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(tb.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	diffID := sha256.Sum256(tb.Bytes())

	h := handmade{dir: t.TempDir()}
	h.config = ociimage.Config{
		Created: mtime, Architecture: "amd64", OS: "linux",
		Config: ociimage.ImageConfig{Entrypoint: []string{"/hello"}, User: "7:8"},
		RootFS: ociimage.RootFS{Type: "layers", DiffIDs: []string{"sha256:" + hex.EncodeToString(diffID[:])}},
	}
	h.layer = writeBlob(t, h.dir, ociimage.MediaTypeLayerGzip, gz.Bytes())
	manifest := writeBlob(t, h.dir, ociimage.MediaTypeManifest, mustJSON(t, ociimage.Manifest{
		SchemaVersion: 2, MediaType: ociimage.MediaTypeManifest,
		Config: writeBlob(t, h.dir, ociimage.MediaTypeConfig, mustJSON(t, h.config)),
		Layers: []ociimage.Descriptor{h.layer},
	}))
	manifest.Platform = &ociimage.Platform{OS: "linux", Architecture: "amd64"}
	writeFile(t, filepath.Join(h.dir, "index.json"), mustJSON(t, ociimage.Index{
		SchemaVersion: 2, MediaType: ociimage.MediaTypeIndex, Manifests: []ociimage.Descriptor{manifest},
	}))
	writeFile(t, filepath.Join(h.dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`))
	return h
}

func TestReadHandmade(t *testing.T) {
	h := newHandmade(t)
	l, err := ociimage.Open(h.dir)
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := l.Images()
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 {
		t.Fatalf("got %d images, want 1", len(imgs))
	}
	if diff := cmp.Diff(h.config, imgs[0].Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&ociimage.Platform{OS: "linux", Architecture: "amd64"}, imgs[0].Descriptor.Platform); diff != "" {
		t.Errorf("platform (-want +got):\n%s", diff)
	}
	files, err := l.Files(imgs[0])
	if err != nil {
		t.Fatal(err)
	}
	mtime := time.Unix(1700000000, 0).UTC()
	want := []ociimage.File{
		{Name: "tmp/", Mode: fs.ModeDir | fs.ModeSticky | 0o777, ModTime: mtime},
		{Name: "hello", Mode: 0o755, UID: 7, GID: 8, ModTime: mtime, Data: []byte("hi")},
	}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestReadHandmadeBroken(t *testing.T) {
	tests := []struct {
		name    string
		spoil   func(t *testing.T, h handmade)
		wantErr error  // matched with errors.Is, if set
		wantMsg string // else a substring of the error
	}{{
		name: "layer blob changed",
		spoil: func(t *testing.T, h handmade) {
			p := filepath.Join(h.dir, "blobs", "sha256", strings.TrimPrefix(h.layer.Digest, "sha256:"))
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)-1] ^= 0xff
			writeFile(t, p, b)
		},
		wantErr: ociimage.ErrDigest,
	}, {
		name: "diff_id wrong",
		spoil: func(t *testing.T, h handmade) {
			// Point the manifest at a config whose diff_id is of other bytes.
			c := h.config
			c.RootFS.DiffIDs = []string{"sha256:" + strings.Repeat("0", 64)}
			m := writeBlob(t, h.dir, ociimage.MediaTypeManifest, mustJSON(t, ociimage.Manifest{
				SchemaVersion: 2, MediaType: ociimage.MediaTypeManifest,
				Config: writeBlob(t, h.dir, ociimage.MediaTypeConfig, mustJSON(t, c)),
				Layers: []ociimage.Descriptor{h.layer},
			}))
			writeFile(t, filepath.Join(h.dir, "index.json"), mustJSON(t, ociimage.Index{
				SchemaVersion: 2, MediaType: ociimage.MediaTypeIndex, Manifests: []ociimage.Descriptor{m},
			}))
		},
		wantErr: ociimage.ErrDigest,
	}, {
		name: "digest is a path",
		spoil: func(t *testing.T, h handmade) {
			writeFile(t, filepath.Join(h.dir, "index.json"), mustJSON(t, ociimage.Index{
				SchemaVersion: 2, MediaType: ociimage.MediaTypeIndex,
				Manifests: []ociimage.Descriptor{{MediaType: ociimage.MediaTypeManifest, Digest: "sha256:../../oci-layout"}},
			}))
		},
		wantMsg: "want sha256:<64 hex digits>",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandmade(t)
			tt.spoil(t, h)
			l, err := ociimage.Open(h.dir)
			if err != nil {
				t.Fatal(err)
			}
			imgs, err := l.Images()
			if err == nil {
				_, err = l.Files(imgs[0])
			}
			switch {
			case err == nil:
				t.Fatal("read a broken layout without error")
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("got %v, want %v", err, tt.wantErr)
			case tt.wantErr == nil && !strings.Contains(err.Error(), tt.wantMsg):
				t.Errorf("got %v, want it to contain %q", err, tt.wantMsg)
			}
		})
	}
}
