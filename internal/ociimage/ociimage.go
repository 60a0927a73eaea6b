// Package ociimage reads OCI image layouts (image-spec, image-layout.md):
// index.json, the image indexes and manifests it leads to, their configs and
// their tar layers, each blob checked against its digest.
//
// It uses the standard library only, so that the main module can test the
// images hack/image writes (see ociimage_test.go) without depending on a
// registry client; hack/image, a module of its own, does.
package ociimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Media types this package reads.
const (
	MediaTypeIndex     = "application/vnd.oci.image.index.v1+json"
	MediaTypeManifest  = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeConfig    = "application/vnd.oci.image.config.v1+json"
	MediaTypeLayer     = "application/vnd.oci.image.layer.v1.tar"
	MediaTypeLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// ErrDigest is returned when a blob, or an uncompressed layer, does not
// match the digest that names it.
var ErrDigest = errors.New("content does not match its digest")

// Descriptor points at a blob.
type Descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    *Platform         `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Platform is the platform of an image, as listed in an index.
type Platform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant,omitempty"`
}

// Index is index.json or an image index blob.
type Index struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Manifests     []Descriptor      `json:"manifests"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// Manifest is an image manifest.
type Manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Config        Descriptor        `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// Config is an image configuration.
type Config struct {
	Created      time.Time   `json:"created"`
	Architecture string      `json:"architecture"`
	OS           string      `json:"os"`
	Variant      string      `json:"variant,omitempty"`
	Config       ImageConfig `json:"config"`
	RootFS       RootFS      `json:"rootfs"`
	History      []History   `json:"history,omitempty"`
}

// ImageConfig is how a container of the image runs.
type ImageConfig struct {
	User       string            `json:"User,omitempty"`
	Entrypoint []string          `json:"Entrypoint,omitempty"`
	Cmd        []string          `json:"Cmd,omitempty"`
	Env        []string          `json:"Env,omitempty"`
	WorkingDir string            `json:"WorkingDir,omitempty"`
	Labels     map[string]string `json:"Labels,omitempty"`
}

// RootFS lists the digests of the uncompressed layers.
type RootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

// History describes how a layer was made.
type History struct {
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by,omitempty"`
}

// Image is an image manifest found in a layout, with its config.
type Image struct {
	// Descriptor points at the manifest; its Platform is the one the
	// listing index gave.
	Descriptor Descriptor
	Manifest   Manifest
	Config     Config
}

// File is an entry of a layer.
type File struct {
	Name    string // as in the tar: "etc/passwd", "tmp/"
	Mode    fs.FileMode
	UID     int
	GID     int
	ModTime time.Time
	Data    []byte // of regular files
}

// Layout is an OCI image layout directory.
type Layout struct {
	dir string
}

// Open checks that dir is an image layout of version 1.0.0.
func Open(dir string) (*Layout, error) {
	b, err := os.ReadFile(filepath.Join(dir, "oci-layout"))
	if err != nil {
		return nil, err
	}
	var v struct {
		Version string `json:"imageLayoutVersion"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s/oci-layout: %w", dir, err)
	}
	if v.Version != "1.0.0" {
		return nil, fmt.Errorf("%s: image layout version %q, want 1.0.0", dir, v.Version)
	}
	return &Layout{dir: dir}, nil
}

// Index reads index.json.
func (l *Layout) Index() (Index, error) {
	var idx Index
	b, err := os.ReadFile(filepath.Join(l.dir, "index.json"))
	if err != nil {
		return idx, err
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		return idx, fmt.Errorf("index.json: %w", err)
	}
	return idx, nil
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Blob reads the blob d points at and checks its size and digest.
func (l *Layout) Blob(d Descriptor) ([]byte, error) {
	// The digest names a file: check it before it becomes a path.
	if !digestRE.MatchString(d.Digest) {
		return nil, fmt.Errorf("digest %q: want sha256:<64 hex digits>", d.Digest)
	}
	b, err := os.ReadFile(filepath.Join(l.dir, "blobs", "sha256", d.Digest[len("sha256:"):]))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) != d.Size {
		return nil, fmt.Errorf("blob %s: %d bytes, descriptor says %d: %w", d.Digest, len(b), d.Size, ErrDigest)
	}
	if got := digest(b); got != d.Digest {
		return nil, fmt.Errorf("blob %s: content is %s: %w", d.Digest, got, ErrDigest)
	}
	return b, nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Images returns the image manifests reachable from index.json, in order,
// following nested image indexes.
func (l *Layout) Images() ([]Image, error) {
	idx, err := l.Index()
	if err != nil {
		return nil, err
	}
	return l.images(idx)
}

func (l *Layout) images(idx Index) ([]Image, error) {
	var imgs []Image
	for _, d := range idx.Manifests {
		b, err := l.Blob(d)
		if err != nil {
			return nil, err
		}
		switch d.MediaType {
		case MediaTypeIndex:
			var sub Index
			if err := json.Unmarshal(b, &sub); err != nil {
				return nil, fmt.Errorf("index %s: %w", d.Digest, err)
			}
			more, err := l.images(sub)
			if err != nil {
				return nil, err
			}
			imgs = append(imgs, more...)
		case MediaTypeManifest:
			img := Image{Descriptor: d}
			if err := json.Unmarshal(b, &img.Manifest); err != nil {
				return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
			}
			if img.Manifest.Config.MediaType != MediaTypeConfig {
				return nil, fmt.Errorf("manifest %s: config media type %q", d.Digest, img.Manifest.Config.MediaType)
			}
			cb, err := l.Blob(img.Manifest.Config)
			if err != nil {
				return nil, err
			}
			if err := json.Unmarshal(cb, &img.Config); err != nil {
				return nil, fmt.Errorf("config %s: %w", img.Manifest.Config.Digest, err)
			}
			imgs = append(imgs, img)
		default:
			return nil, fmt.Errorf("descriptor %s: unsupported media type %q", d.Digest, d.MediaType)
		}
	}
	return imgs, nil
}

// Files returns the entries of img's layers, layer after layer, in tar
// order; whiteouts are listed, not applied. It checks each uncompressed
// layer against the config's diff_ids.
func (l *Layout) Files(img Image) ([]File, error) {
	if len(img.Manifest.Layers) != len(img.Config.RootFS.DiffIDs) {
		return nil, fmt.Errorf("%d layers but %d diff_ids", len(img.Manifest.Layers), len(img.Config.RootFS.DiffIDs))
	}
	var files []File
	for i, d := range img.Manifest.Layers {
		b, err := l.Blob(d)
		if err != nil {
			return nil, err
		}
		switch d.MediaType {
		case MediaTypeLayer:
		case MediaTypeLayerGzip:
			if b, err = gunzip(b); err != nil {
				return nil, fmt.Errorf("layer %s: %w", d.Digest, err)
			}
		default:
			return nil, fmt.Errorf("layer %s: unsupported media type %q", d.Digest, d.MediaType)
		}
		if got, want := digest(b), img.Config.RootFS.DiffIDs[i]; got != want {
			return nil, fmt.Errorf("layer %s: uncompressed is %s, diff_id says %s: %w", d.Digest, got, want, ErrDigest)
		}
		entries, err := untar(b)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", d.Digest, err)
		}
		files = append(files, entries...)
	}
	return files, nil
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(zr)
}

func untar(b []byte) ([]File, error) {
	var files []File
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		f := File{Name: h.Name, Mode: h.FileInfo().Mode(), UID: h.Uid, GID: h.Gid, ModTime: h.ModTime}
		if h.Typeflag == tar.TypeReg {
			if f.Data, err = io.ReadAll(tr); err != nil {
				return nil, err
			}
		}
		files = append(files, f)
	}
}
