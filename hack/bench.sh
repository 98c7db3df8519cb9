#!/usr/bin/env bash
# make bench: every benchmark side by side with its reference, in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/barge-bench ./hack/bench
exec bin/barge-bench "$@"
