// Command crdref writes the API reference (docs/reference.md) from the
// generated CRDs: for every kind its names, scope and printer columns, a
// table of every field of spec and status with type, required, default and
// validation, and the CEL rules where they apply. The CRDs, not the Go
// types, are the source, since they are what the apiserver enforces.
//
//	go run ./hack/crdref                 # writes docs/reference.md
//	go run ./hack/crdref -check          # fails when docs/reference.md is stale
//
// The output depends only on the CRDs, so regenerating an unchanged API
// gives the same bytes; hack/verify.sh relies on that.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("crdref", flag.ContinueOnError)
	fset.SetOutput(stderr)
	crds := fset.String("crds", "config/crd/bases", "directory of CRD YAML files")
	out := fset.String("out", "docs/reference.md", "Markdown file to write")
	check := fset.Bool("check", false, "write nothing; fail if -out differs from what would be written")
	if err := fset.Parse(args); err != nil {
		return 2
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "crdref: unexpected arguments %q\n", fset.Args())
		return 2
	}

	want, err := generate(*crds)
	if err != nil {
		fmt.Fprintf(stderr, "crdref: %v\n", err)
		return 1
	}
	if *check {
		have, err := os.ReadFile(*out)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(stderr, "crdref: %v\n", err)
			return 1
		}
		if bytes.Equal(have, want) {
			return 0
		}
		fmt.Fprintf(stderr, "%s is stale: run `make docs` (go run ./hack/crdref) and commit it\n%s", *out, diffHint(have, want))
		return 1
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		fmt.Fprintf(stderr, "crdref: %v\n", err)
		return 1
	}
	if err := os.WriteFile(*out, want, 0o644); err != nil {
		fmt.Fprintf(stderr, "crdref: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return 0
}

// generate renders the reference for the CRDs in dir.
func generate(dir string) ([]byte, error) {
	crds, err := loadDir(dir)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := render(&buf, filepath.ToSlash(dir), crds); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// diffHint shows where have first departs from want: the line number and a
// few lines of each, enough to see which field changed.
func diffHint(have, want []byte) string {
	if len(have) == 0 {
		return "  (the file is missing or empty)\n"
	}
	h := strings.Split(string(have), "\n")
	w := strings.Split(string(want), "\n")
	i := 0
	for i < len(h) && i < len(w) && h[i] == w[i] {
		i++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "first difference at line %d (%d lines in the file, %d generated):\n", i+1, len(h), len(w))
	for _, side := range []struct {
		sign  string
		lines []string
	}{{"-", h}, {"+", w}} {
		for j := i; j < min(i+3, len(side.lines)); j++ {
			fmt.Fprintf(&b, "%s %s\n", side.sign, clip(side.lines[j]))
		}
	}
	return b.String()
}

// clip shortens a line for a terminal; table rows can be very long.
func clip(s string) string {
	const most = 160
	if r := []rune(s); len(r) > most {
		return string(r[:most]) + "…"
	}
	return s
}
