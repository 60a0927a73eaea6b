#!/usr/bin/env bash
# Runs every fuzz target of the module for a while each (default 10s).
# Fuzzing needs one package and one target per `go test` call.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-10s}
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
	pkg=./$(dirname "${file#./}")
	for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
		echo "fuzz $pkg $target for $fuzztime"
		go test -run='^$' -fuzz="^$target\$" -fuzztime="$fuzztime" "$pkg"
	done
done
