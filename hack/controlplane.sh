#!/usr/bin/env bash
# Builds the real Kubernetes control-plane binaries the tests and the lab run
# (kube-apiserver, kube-proxy, kubectl, etcd) from the Go module proxy, pinned by the
# tools modules hack/k8s and hack/etcd, into a cache directory outside the work
# tree. A binary that is already cached is not rebuilt. Prints the directory;
# with --print it only prints it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
k8s_version=v1.37.2
etcd_version=v3.6.16
cache=${IRONLB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ironlb}
dir=$cache/controlplane-$k8s_version-etcd-$etcd_version
if [ "${1:-}" = --print ]; then
	echo "$dir"
	exit 0
fi
mkdir -p "$dir"

minor=${k8s_version#v1.}
minor=${minor%%.*}
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"

build() { # module-dir package output
	local out=$dir/$3
	[ -x "$out" ] && return 0
	echo "building $3 (first run only; several minutes)" >&2
	(cd "$here/$1" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$2")
	mv "$out.tmp" "$out"
}

build k8s k8s.io/kubernetes/cmd/kube-apiserver kube-apiserver
build k8s k8s.io/kubernetes/cmd/kube-proxy kube-proxy
build k8s k8s.io/kubernetes/cmd/kubectl kubectl
build etcd go.etcd.io/etcd/server/v3 etcd
echo "$dir"
