#!/usr/bin/env bash
# Runs every fuzz target of the module for a while each (default 10s).
# Fuzzing needs one package and one target per `go test` call.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-10s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# fuzz runs one target. Go's fuzzing engine sometimes fails a run with
# "context deadline exceeded" and no failing input when a worker is slow to
# stop as the time runs out on a loaded machine; that run found nothing, so
# it is run once more. Any other failure (a crasher is written under
# testdata/fuzz) fails at once.
fuzz() {
	local pkg=$1 target=$2 try
	for try in 1 2; do
		if go test -run='^$' -fuzz="^$target\$" -fuzztime="$fuzztime" "$pkg" 2>&1 | tee "$log"; then
			return 0
		fi
		if ! grep -q 'context deadline exceeded' "$log" || grep -q 'Failing input written' "$log"; then
			return 1
		fi
		echo "fuzz $pkg $target: the engine timed out without a failing input; running it again (try $((try + 1)))"
	done
	return 1
}

grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
	pkg=./$(dirname "${file#./}")
	for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
		echo "fuzz $pkg $target for $fuzztime"
		fuzz "$pkg" "$target"
	done
done
