package ociimage_test

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ironlb/ironlb/internal/ociimage"
)

// epoch stamps the images: a fixed input, not a clock.
const epoch = 1700000000

// TestImages builds the controller and the speaker as make image does
// (static, for linux/amd64), writes their images with hack/image, and checks
// what a container runtime would see. The first run compiles both binaries
// and takes minutes; later runs hit the build cache.
func TestImages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both binaries and hack/image")
	}
	root := filepath.Dir(goCmd(t, "", nil, "env", "GOMOD"))
	bin := t.TempDir()
	goCmd(t, root, []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64"},
		"build", "-trimpath", "-ldflags=-s -w", "-o", bin+string(filepath.Separator), "./controller", "./speaker")
	tool := filepath.Join(t.TempDir(), "image")
	goCmd(t, root, []string{"GOWORK=off"}, "build", "-C", "hack/image", "-o", tool, ".")

	tests := []struct {
		name string
		user string
	}{
		{name: "controller", user: "65532:65532"},
		{name: "speaker", user: "0:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			binary := filepath.Join(bin, tt.name)
			out := t.TempDir()
			dirs := [2]string{filepath.Join(out, "first"), filepath.Join(out, "second")}
			var layouts [2]*ociimage.Layout
			for i, dir := range dirs {
				cmd := exec.CommandContext(t.Context(), tool, "-name", tt.name, "-binary", binary, "-out", dir,
					"-user", tt.user, "-version", "v1.2.3", "-revision", "0123abc")
				cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+strconv.Itoa(epoch))
				if b, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%s: %v\n%s", cmd, err, b)
				}
				l, err := ociimage.Open(dir)
				if err != nil {
					t.Fatal(err)
				}
				layouts[i] = l
			}
			img := checkImage(t, layouts[0], dirs[0], tt.name, tt.user)
			checkFiles(t, layouts[0], img, tt.name, binary)
			checkReproducible(t, layouts[0], layouts[1])
		})
	}
}

// checkImage checks index.json, the one linux/amd64 manifest, its config
// and that its layers are the blobs their digests name.
func checkImage(t *testing.T, l *ociimage.Layout, dir, name, user string) ociimage.Image {
	t.Helper()
	idx, err := l.Index()
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Manifests) != 1 || idx.Manifests[0].MediaType != ociimage.MediaTypeIndex {
		t.Fatalf("index.json lists %+v, want one image index", idx.Manifests)
	}
	if got := idx.Manifests[0].Annotations["org.opencontainers.image.ref.name"]; got != "v1.2.3" {
		t.Errorf("index.json names the image %q, want v1.2.3", got)
	}
	imgs, err := l.Images()
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 {
		t.Fatalf("got %d images, want 1", len(imgs))
	}
	img := imgs[0]
	if diff := cmp.Diff(&ociimage.Platform{OS: "linux", Architecture: "amd64"}, img.Descriptor.Platform); diff != "" {
		t.Errorf("platform in the index (-want +got):\n%s", diff)
	}
	if got := img.Config.OS + "/" + img.Config.Architecture; got != "linux/amd64" {
		t.Errorf("config is for %s, want linux/amd64", got)
	}
	if !img.Config.Created.Equal(time.Unix(epoch, 0)) {
		t.Errorf("created %v, want SOURCE_DATE_EPOCH %v", img.Config.Created, time.Unix(epoch, 0).UTC())
	}
	want := ociimage.ImageConfig{
		User:       user,
		Entrypoint: []string{"/usr/local/bin/" + name},
		Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		WorkingDir: "/",
		Labels: map[string]string{
			"org.opencontainers.image.source":   "https://github.com/ironlb/ironlb",
			"org.opencontainers.image.title":    name,
			"org.opencontainers.image.version":  "v1.2.3",
			"org.opencontainers.image.revision": "0123abc",
		},
	}
	if diff := cmp.Diff(want, img.Config.Config); diff != "" {
		t.Errorf("image config (-want +got):\n%s", diff)
	}
	// The reader checks digests too; this does it by hand, on the files.
	for _, d := range img.Manifest.Layers {
		b, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(d.Digest, "sha256:")))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if got := "sha256:" + hex.EncodeToString(sum[:]); got != d.Digest || int64(len(b)) != d.Size {
			t.Errorf("layer %s (%d bytes) holds %s (%d bytes)", d.Digest, d.Size, got, len(b))
		}
	}
	return img
}

// checkFiles checks every entry of the layers, /etc/passwd, and that the
// entrypoint is the static binary that was built.
func checkFiles(t *testing.T, l *ociimage.Layout, img ociimage.Image, name, binary string) {
	t.Helper()
	files, err := l.Files(img)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Name     string
		Mode     fs.FileMode
		UID, GID int
	}
	var got []entry
	byName := map[string]ociimage.File{}
	for _, f := range files {
		got = append(got, entry{f.Name, f.Mode, f.UID, f.GID})
		byName[f.Name] = f
		if !f.ModTime.Equal(time.Unix(epoch, 0)) {
			t.Errorf("%s: mtime %v, want SOURCE_DATE_EPOCH", f.Name, f.ModTime)
		}
	}
	want := []entry{
		{"etc/", fs.ModeDir | 0o755, 0, 0},
		{"etc/group", 0o644, 0, 0},
		{"etc/passwd", 0o644, 0, 0},
		{"tmp/", fs.ModeDir | fs.ModeSticky | 0o777, 0, 0},
		{"usr/", fs.ModeDir | 0o755, 0, 0},
		{"usr/local/", fs.ModeDir | 0o755, 0, 0},
		{"usr/local/bin/", fs.ModeDir | 0o755, 0, 0},
		{"usr/local/bin/" + name, 0o755, 0, 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layer entries (-want +got):\n%s", diff)
	}

	// The user the image runs as must exist: 65532 is nonroot, 0 is root.
	for file, prefixes := range map[string][]string{
		"etc/passwd": {"root:x:0:0:", "nonroot:x:65532:65532:"},
		"etc/group":  {"root:x:0:", "nonroot:x:65532:"},
	} {
		lines := strings.Split(string(byName[file].Data), "\n")
		for _, p := range prefixes {
			if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, p) }) {
				t.Errorf("/%s lacks %q:\n%s", file, p, byName[file].Data)
			}
		}
	}

	data := byName["usr/local/bin/"+name].Data
	built, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, built) {
		t.Errorf("/usr/local/bin/%s is not the binary that was built", name)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("/usr/local/bin/%s: %v", name, err)
	}
	if f.Machine != elf.EM_X86_64 {
		t.Errorf("/usr/local/bin/%s is for %s, want EM_X86_64", name, f.Machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("/usr/local/bin/%s has %s: not static", name, p.Type)
		}
	}
	if s := f.Section(".dynamic"); s != nil {
		t.Errorf("/usr/local/bin/%s has a .dynamic section: not static", name)
	}
}

// checkReproducible checks that two runs on the same binary wrote the same
// index and manifests.
func checkReproducible(t *testing.T, a, b *ociimage.Layout) {
	t.Helper()
	digests := func(l *ociimage.Layout) []string {
		idx, err := l.Index()
		if err != nil {
			t.Fatal(err)
		}
		imgs, err := l.Images()
		if err != nil {
			t.Fatal(err)
		}
		ds := []string{idx.Manifests[0].Digest}
		for _, img := range imgs {
			ds = append(ds, img.Descriptor.Digest, img.Manifest.Config.Digest)
		}
		return ds
	}
	if diff := cmp.Diff(digests(a), digests(b)); diff != "" {
		t.Errorf("two builds of the same binary differ (-first +second):\n%s", diff)
	}
}

// goCmd runs the go command in dir with env added, and returns its trimmed
// output.
func goCmd(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out))
}
