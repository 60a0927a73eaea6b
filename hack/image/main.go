// Command image writes an OCI image layout for one of ironlb's static binaries.
// The image is built FROM scratch, so nothing is pulled: it works where no
// registry or Docker engine is reachable (hack/image.sh, the image test in
// internal/ociimage).
//
// Each platform image has one layer: the binary at /usr/local/bin/<name>,
// /etc/passwd and /etc/group with root (0) and nonroot (65532), and an empty
// /tmp with mode 1777. Every timestamp is -epoch (default $SOURCE_DATE_EPOCH,
// else 0), so the same binaries give the same digests.
//
// index.json holds one entry, named by -version, that points at an image
// index with one manifest per binary; the platform of each is read from its
// ELF header. `crane push DIR REF` or `skopeo copy --all oci:DIR:VERSION
// docker://REF` publishes it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

func main() { os.Exit(run()) }

type options struct {
	name     string
	binaries []string
	out      string
	user     string
	version  string
	revision string
	source   string
	epoch    string
}

var (
	binaryName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	uidGID     = regexp.MustCompile(`^[0-9]+(:[0-9]+)?$`)
	// tag is the grammar of an image tag: the version also names the image
	// in index.json (org.opencontainers.image.ref.name), which skopeo matches.
	tag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

func (o options) validate() error {
	var errs []error
	if !binaryName.MatchString(o.name) {
		errs = append(errs, fmt.Errorf("-name %q: want a lowercase binary name", o.name))
	}
	if len(o.binaries) == 0 {
		errs = append(errs, errors.New("-binary: at least one is required"))
	}
	if o.out == "" {
		errs = append(errs, errors.New("-out is required"))
	}
	if !uidGID.MatchString(o.user) {
		errs = append(errs, fmt.Errorf("-user %q: want uid[:gid]", o.user))
	}
	if !tag.MatchString(o.version) {
		errs = append(errs, fmt.Errorf("-version %q: want an image tag ([A-Za-z0-9_.-], at most 128)", o.version))
	}
	if _, err := parseEpoch(o.epoch); err != nil {
		errs = append(errs, fmt.Errorf("-epoch: %w", err))
	}
	return errors.Join(errs...)
}

func parseEpoch(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a non-negative count of seconds", s)
	}
	return n, nil
}

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func run() int {
	o := options{
		user:    "65532:65532",
		version: "dev",
		source:  "https://github.com/ironlb/ironlb",
		epoch:   os.Getenv("SOURCE_DATE_EPOCH"),
	}
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	fs.StringVar(&o.name, "name", "", "binary name: the image title and /usr/local/bin/<name>, the entrypoint")
	fs.Var((*list)(&o.binaries), "binary", "path of a static linux binary; repeat for more platforms")
	fs.StringVar(&o.out, "out", "", "OCI layout directory to write (replaced if it holds one)")
	fs.StringVar(&o.user, "user", o.user, "uid:gid the image runs as")
	fs.StringVar(&o.version, "version", o.version, "image version: label and tag in index.json")
	fs.StringVar(&o.revision, "revision", "", "source revision label (a commit)")
	fs.StringVar(&o.source, "source", o.source, "source repository label")
	fs.StringVar(&o.epoch, "epoch", o.epoch, "timestamp of every file and of the image, in Unix seconds (default $SOURCE_DATE_EPOCH, else 0)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		return 2
	}
	o.out = filepath.Clean(o.out)
	if err := write(o); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		return 1
	}
	return 0
}
