#!/usr/bin/env bash
# Fails when generated files are stale, code is not gofmt-ed, go vet complains
# or a go.mod is untidy. Generated files are compared by content before and
# after regenerating, so the check works on uncommitted trees as well as in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

generated() {
	find api config/crd config/rbac charts/ironlb/crds charts/ironlb/files -type f \( -name 'zz_generated*.go' -o -name '*.yaml' \) | sort | xargs sha256sum
}

before=$(generated)
make --no-print-directory generate manifests >/dev/null
after=$(generated)
if [ "$before" != "$after" ]; then
	diff <(echo "$before") <(echo "$after") || true
	echo "generated files were stale (now regenerated): review and commit them" >&2
	exit 1
fi
go run ./hack/crdref -check

bad=$(gofmt -l $(git ls-files --cached --others --exclude-standard '*.go'))
if [ -n "$bad" ]; then
	echo "not gofmt-ed:" >&2
	echo "$bad" >&2
	exit 1
fi

go vet ./...

for m in . hack/tools hack/lint hack/k8s hack/etcd hack/helm hack/image; do
	(cd "$m" && go mod tidy -diff) || { echo "go mod tidy needed in $m" >&2; exit 1; }
done
