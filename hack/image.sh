#!/usr/bin/env bash
# Builds the static controller and speaker binaries and writes an OCI image
# layout for each with hack/image, FROM scratch: no Docker engine or registry
# is needed. Binaries and images go to $IRONLB_CACHE (default
# ~/.cache/ironlb), never into the work tree. IMAGE_PLATFORMS picks the
# platforms: "linux/amd64" by default, "linux/amd64 linux/arm64" for a
# multi-platform release (a first arm64 build takes minutes).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${IRONLB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ironlb}
platforms=${IMAGE_PLATFORMS:-linux/amd64}
bin=$cache/image-bin
out=$cache/images
tool=$cache/tools/image

version=$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)
revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || true)
# Every timestamp in the images is the commit's, so that the same commit
# gives the same digests.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH

go build -C "$root/hack/image" -o "$tool" .

binaries=()
for p in $platforms; do
	os=${p%/*}
	arch=${p#*/}
	echo "building controller and speaker for $p" >&2
	(cd "$root" && CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "-s -w" -o "$bin/$os-$arch/" ./controller ./speaker)
	binaries+=("$bin/$os-$arch")
done

for name in controller speaker; do
	# The controller runs as nonroot. The speaker runs as root, but its
	# DaemonSet drops every capability except NET_RAW and NET_ADMIN.
	user=65532:65532
	[ "$name" = speaker ] && user=0:0
	args=()
	for b in "${binaries[@]}"; do
		args+=(-binary "$b/$name")
	done
	"$tool" -name "$name" -user "$user" -version "$version" -revision "$revision" -out "$out/$name" "${args[@]}"
done

cat <<EOF

OCI image layouts (tag $version) are in $out. Push them with crane
(go run github.com/google/go-containerregistry/cmd/crane@v0.22.1) or skopeo:
  crane push $out/controller ghcr.io/ironlb/controller:$version
  crane push $out/speaker ghcr.io/ironlb/speaker:$version
  skopeo copy --all oci:$out/controller:$version docker://ghcr.io/ironlb/controller:$version
EOF
