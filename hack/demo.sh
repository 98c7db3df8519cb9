#!/usr/bin/env bash
# make demo: barge's main job on the local cluster, where a person can see it.
# Starts the cluster, runs the talk's scenario with barge, and stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
barge=bin/barge
dir=.cache/cluster
export KUBECONFIG=$PWD/$dir/kubeconfig
# The demo's caches (discovery) stay out of the user's home.
demo_cache=$(mktemp -d)
export XDG_CACHE_HOME=$demo_cache

# Bold headings on a terminal only: a log gets no escape codes.
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
run() { printf '$ %s\n' "$*"; "$@"; }

cleanup() {
step "stopping the local cluster"
  bin/barge-cluster down --dir "$dir" || true
  rm -rf "$demo_cache"
}
trap cleanup EXIT

step "starting the local cluster (etcd, kube-apiserver, controller-manager, scheduler, kwok)"
bin/barge-cluster up --dir "$dir"

step "barge reaches the cluster"
run $barge version

step "the talk's three commands, as written: a chart repository named stable, serving charts/joomla"
talk=$(mktemp -d)
export HELM_REPOSITORY_CONFIG=$talk/repositories.yaml HELM_REPOSITORY_CACHE=$talk/cache
mkdir -p "$talk/repo"
run $barge package charts/joomla -d "$talk/repo"
run $barge repo index "$talk/repo"
go build -o bin/barge-serve ./hack/serve
bin/barge-serve "$talk/repo" > "$talk/url" &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null || true; rm -rf "$talk"; cleanup' EXIT
for _ in $(seq 50); do [ -s "$talk/url" ] && break; sleep 0.1; done
run $barge repo add stable "$(cat "$talk/url")"
cp charts/joomla/examples/talk-values.yaml "$talk/config.yaml"
(
  cd "$talk"
  run $OLDPWD/$barge install --name joomla1 --f config.yaml stable/joomla
  run $OLDPWD/$barge upgrade joomla1 --f config.yaml stable/joomla
  run $OLDPWD/$barge delete --purge joomla1
)

step "100 Joomla in 30 seconds? First, one: the talk's values, unchanged"
run cat charts/joomla/examples/talk-values.yaml
run $barge install joomla1 ./charts/joomla -f charts/joomla/examples/talk-values.yaml --create-namespace -n demo --wait
run $barge list -n demo
run $barge status joomla1 -n demo
step "what would an upgrade change in the cluster? (diffed against the live objects)"
run $barge diff upgrade joomla1 ./charts/joomla -f charts/joomla/examples/talk-values.yaml --set joomlaEmail=admin@example.com -n demo
step "upgrade with that changed value, then roll back"
run $barge upgrade joomla1 ./charts/joomla -f charts/joomla/examples/talk-values.yaml --set joomlaEmail=admin@example.com -n demo --wait
run $barge history joomla1 -n demo
run $barge rollback joomla1 1 -n demo --wait
run $barge history joomla1 -n demo
step "delete --purge, as in Helm 2"
run $barge delete --purge joomla1 -n demo
run $barge list -A -a

step "100 Joomla in 30 seconds? A fleet: one per tenant, from one file"
BARGE=$barge CLUSTER_DIR=$dir examples/joomla-fleet/demo.sh
