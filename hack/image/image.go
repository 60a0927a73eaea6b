package main

import (
	"archive/tar"
	"bytes"
	"cmp"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const binDir = "usr/local/bin"

// Home directories are "/": the image has no other, and in a Pod neither
// binary needs one (both read in-cluster config, not ~/.kube).
const (
	passwd = "root:x:0:0:root:/:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/:/sbin/nologin\n"
	group  = "root:x:0:\nnonroot:x:65532:\n"
)

// write builds one image per binary and writes them, under an image index,
// as the OCI layout o.out.
func write(o options) error {
	idx, err := index(o)
	if err != nil {
		return err
	}
	if err := writeLayout(o.out, idx, o.version); err != nil {
		return err
	}
	return report(os.Stdout, o, idx)
}

// index is the image index of one image per binary, sorted by platform so
// that the order of the flags does not change the digest.
func index(o options) (v1.ImageIndex, error) {
	epoch, err := parseEpoch(o.epoch)
	if err != nil {
		return nil, err
	}
	created := time.Unix(epoch, 0).UTC()

	var adds []mutate.IndexAddendum
	for _, bin := range o.binaries {
		p, err := platform(bin)
		if err != nil {
			return nil, fmt.Errorf("binary %s: %w", bin, err)
		}
		img, err := image(o, bin, p, created)
		if err != nil {
			return nil, fmt.Errorf("image of %s: %w", bin, err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	slices.SortFunc(adds, func(a, b mutate.IndexAddendum) int {
		return cmp.Compare(a.Platform.String(), b.Platform.String())
	})
	for i := 1; i < len(adds); i++ {
		if adds[i].Platform.String() == adds[i-1].Platform.String() {
			return nil, fmt.Errorf("two binaries for %s", adds[i].Platform)
		}
	}
	// Registries such as ghcr.io read a multi-platform image's labels from
	// the index's annotations.
	return mutate.Annotations(mutate.AppendManifests(empty.Index, adds...), labels(o)).(v1.ImageIndex), nil
}

// writeLayout writes idx as the only entry of the layout out, named by
// version. It writes a sibling directory first and renames it, so out is
// never left half written.
func writeLayout(out string, idx v1.ImageIndex, version string) error {
	if err := replaceable(out); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".tmp")
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	top := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{
		Add: idx,
		Descriptor: v1.Descriptor{Annotations: map[string]string{
			"org.opencontainers.image.ref.name": version,
		}},
	})
	if _, err := layout.Write(tmp, top); err != nil {
		return fmt.Errorf("write layout: %w", err)
	}
	if err := readable(tmp); err != nil {
		return err
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// report prints the index digest, then each platform's manifest digest and
// the compressed size of its layers.
func report(w io.Writer, o options, idx v1.ImageIndex) error {
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: %s:%s %s\n", o.out, o.name, o.version, d)
	for _, desc := range m.Manifests {
		img, err := idx.Image(desc.Digest)
		if err != nil {
			return err
		}
		layers, err := img.Layers()
		if err != nil {
			return err
		}
		var size int64
		for _, l := range layers {
			n, err := l.Size()
			if err != nil {
				return err
			}
			size += n
		}
		fmt.Fprintf(w, "  %-12s %s %d bytes compressed\n", desc.Platform, desc.Digest, size)
	}
	return nil
}

// replaceable fails unless out is missing, empty or an earlier layout: a
// typo in -out must not delete anything else.
func replaceable(out string) error {
	entries, err := os.ReadDir(out)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(out, "oci-layout")); err != nil {
		return fmt.Errorf("refusing to replace %s: it is not an OCI layout", out)
	}
	return nil
}

// readable makes the layout's files 0644 and directories 0755; the layout
// writer leaves blobs 0600 and index.json executable.
func readable(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(p, 0o755)
		}
		return os.Chmod(p, 0o644)
	})
}

func labels(o options) map[string]string {
	l := map[string]string{
		"org.opencontainers.image.source":  o.source,
		"org.opencontainers.image.title":   o.name,
		"org.opencontainers.image.version": o.version,
	}
	if o.revision != "" {
		l["org.opencontainers.image.revision"] = o.revision
	}
	return l
}

// image is FROM scratch plus one layer holding the binary.
func image(o options, bin string, p v1.Platform, created time.Time) (v1.Image, error) {
	b, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	l, err := layer(o.name, b, created)
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), mutate.Addendum{
		Layer: l,
		History: v1.History{
			Created:   v1.Time{Time: created},
			CreatedBy: "hack/image: " + path.Join("/", binDir, o.name) + ", /etc/passwd, /etc/group, /tmp",
		},
	})
	if err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: created}
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Config = v1.Config{
		Entrypoint: []string{path.Join("/", binDir, o.name)},
		Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		User:       o.user,
		WorkingDir: "/",
		Labels:     labels(o),
	}
	return mutate.ConfigFile(img, cf)
}

// layer is a tar of the image's whole file system. Every entry is owned by
// root and stamped with mtime, so the same binary gives the same digest.
func layer(name string, bin []byte, mtime time.Time) (v1.Layer, error) {
	type entry struct {
		hdr  *tar.Header
		data []byte
	}
	dir := func(n string, mode int64) entry {
		return entry{&tar.Header{Typeflag: tar.TypeDir, Name: n, Mode: mode, ModTime: mtime}, nil}
	}
	file := func(n string, mode int64, data []byte) entry {
		return entry{&tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: mode, Size: int64(len(data)), ModTime: mtime}, data}
	}
	entries := []entry{
		dir("etc/", 0o755),
		file("etc/group", 0o644, []byte(group)),
		file("etc/passwd", 0o644, []byte(passwd)),
		dir("tmp/", 0o1777),
		dir("usr/", 0o755),
		dir("usr/local/", 0o755),
		dir(binDir+"/", 0o755),
		file(path.Join(binDir, name), 0o755, bin),
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if err := tw.WriteHeader(e.hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}

// platform reads the platform of a Go binary from its ELF header, and
// refuses a dynamically linked one: FROM scratch has no libc or loader.
func platform(bin string) (v1.Platform, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return v1.Platform{}, err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			return v1.Platform{}, fmt.Errorf("dynamically linked (%s); build it with CGO_ENABLED=0", p.Type)
		}
	}
	if f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		return v1.Platform{}, fmt.Errorf("not a linux binary (%s)", f.OSABI)
	}
	p := v1.Platform{OS: "linux"}
	switch {
	case f.Machine == elf.EM_X86_64:
		p.Architecture = "amd64"
	case f.Machine == elf.EM_AARCH64:
		p.Architecture = "arm64"
	case f.Machine == elf.EM_PPC64 && f.Data == elf.ELFDATA2LSB:
		p.Architecture = "ppc64le"
	case f.Machine == elf.EM_S390:
		p.Architecture = "s390x"
	case f.Machine == elf.EM_RISCV && f.Class == elf.ELFCLASS64:
		p.Architecture = "riscv64"
	default:
		return v1.Platform{}, fmt.Errorf("unsupported machine %s", f.Machine)
	}
	return p, nil
}
