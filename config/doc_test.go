// Package config_test proves the manifests under config/ against a real
// kube-apiserver: the CRDs install, every sample is accepted, and objects that
// one object alone shows to be wrong are rejected at admission with an error
// that names the field.
package config_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/ironlb/ironlb/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	e, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start control plane:", err)
		return 1
	}
	defer func() {
		if err := e.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop control plane:", err)
		}
	}()
	env = e
	return m.Run()
}
