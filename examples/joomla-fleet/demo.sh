#!/usr/bin/env bash
# The Joomla fleet on the local cluster: deploy 100 tenants, plan and apply a
# change to one of them, destroy them all. Run from the repository root after
# `make build bin/barge-cluster`; `make demo` runs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
barge=${BARGE:-bin/barge}
dir=${CLUSTER_DIR:-.cache/cluster}
export KUBECONFIG=$PWD/$dir/kubeconfig
fleet=examples/joomla-fleet

# Bold headings on a terminal only: a log gets no escape codes.
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
run() { printf '$ %s\n' "$*"; "$@"; }
# runp shows a command line with its pipe, then runs it: the line is
# printed before any of the pipeline's output.
runp() { printf '$ %s\n' "$*"; eval "$*"; }

work=$(mktemp -d)
started=
cleanup() {
  rm -rf "$work"
  if [ -n "$started" ]; then bin/barge-cluster down --dir "$dir" || true; fi
}
trap cleanup EXIT
if [ ! -e "$dir/ready" ]; then
  step "starting the local cluster"
  bin/barge-cluster up --dir "$dir"
  started=1
fi

step "100 Joomla: what would be done"
runp "$barge plan -f $fleet/fleet.yaml | tail -3"
step "100 Joomla in how many seconds?"
time runp "$barge apply -f $fleet/fleet.yaml --concurrency 64 2>&1 | tail -1"
step "again: nothing to do, nothing written"
time runp "$barge apply -f $fleet/fleet.yaml --request-stats 2>&1 | tail -1"

step "tenant t042 moves to the enterprise plan: only it changes"
cp $fleet/values.yaml "$work/"
sed 's#chart: ../../charts/joomla#chart: '"$PWD"'/charts/joomla#' $fleet/fleet.yaml > "$work/fleet.yaml"
sed '/- name: t042/{n;s/plan: .*/plan: enterprise/}' $fleet/tenants.yaml > "$work/tenants.yaml"
runp "$barge plan -f $work/fleet.yaml --objects | grep -v unchanged"
runp "$barge apply -f $work/fleet.yaml 2>&1 | grep -v unchanged"
run $barge history joomla-t042 -n tenant-t042

step "destroy the fleet"
time runp "$barge destroy -f $work/fleet.yaml --concurrency 64 2>&1 | tail -1"
