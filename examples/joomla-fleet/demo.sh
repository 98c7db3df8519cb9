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

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

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
run $barge plan -f $fleet/fleet.yaml | tail -3
step "100 Joomla in how many seconds?"
time run $barge apply -f $fleet/fleet.yaml --concurrency 64 | tail -1
step "again: nothing to do, nothing written"
time run $barge apply -f $fleet/fleet.yaml --request-stats | tail -1

step "tenant t042 moves to the enterprise plan: only it changes"
cp $fleet/values.yaml "$work/"
sed 's#chart: ../../charts/joomla#chart: '"$PWD"'/charts/joomla#' $fleet/fleet.yaml > "$work/fleet.yaml"
sed '/- name: t042/{n;s/plan: .*/plan: enterprise/}' $fleet/tenants.yaml > "$work/tenants.yaml"
run $barge plan -f "$work/fleet.yaml" --objects | grep -v unchanged
run $barge apply -f "$work/fleet.yaml" | grep -v unchanged
run $barge history joomla-t042 -n tenant-t042

step "destroy the fleet"
time run $barge destroy -f "$work/fleet.yaml" --concurrency 64 | tail -1
