// Package config_test proves the manifests under config/ against a real
// kube-apiserver: the CRDs install, every sample is accepted, and objects that
// one object alone shows to be wrong are rejected at admission with an error
// that names the field.
package config_test

import (
	"os"
	"testing"

	"github.com/ironlb/ironlb/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, &env)) }
