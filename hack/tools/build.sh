#!/usr/bin/env bash
# Builds the local cluster's binaries, the OCI registry (CNCF distribution) and the
# reference Helm binaries from the Go module proxy, each from its own Go module
# under hack/tools, into .cache/bin, keyed by version. Only what is missing is built.
#
# usage: hack/tools/build.sh [cluster|helm|registry|lint|all]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
bin="$top/.cache/bin"
mkdir -p "$bin"

# build NAME VERSION MODULE_DIR PACKAGE SECONDS [LDFLAGS]
# SECONDS is the time measured for a cold build (empty Go caches, modules
# fetched from the proxy) on a 2-core machine, in the order make builds them.
build() {
  local name=$1 version=$2 dir=$3 pkg=$4 seconds=$5 ldflags=${6:-}
  local out="$bin/$name-$version"
  if [ -x "$out" ]; then
    return 0
  fi
  echo "building $name $version from the Go module proxy, for $(why "$name") (about $(duration "$seconds") on 2 cores when nothing is cached)..."
  local start=$SECONDS
  # Fetch the modules first, silently: go build would print a line per module.
  (cd "$here/$dir" && go mod download) || return $?
  ( while sleep 30; do echo "  ... $name: $((SECONDS - start)) s"; done ) &
  local ticker=$!
  local rc=0
  (cd "$here/$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp" "$pkg") || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then
    rm -f "$out.tmp"
    echo "build of $name $version failed" >&2
    return "$rc"
  fi
  mv "$out.tmp" "$out"
  echo "built $name $version in $((SECONDS - start)) s"
}

# duration writes seconds as people say them: "20 s", "3 min".
duration() {
  if [ "$1" -lt 90 ]; then echo "$1 s"; else echo "$(( ($1 + 30) / 60 )) min"; fi
}

# why says what a tool is built for.
why() {
  case $1 in
    etcd|kube-*|kwok) echo "the local cluster" ;;
    helm) echo "the tests that compare barge with Helm" ;;
    registry) echo "the OCI registry tests" ;;
    staticcheck) echo "make lint" ;;
    *) echo "the tests" ;;
  esac
}

kube_ld="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION \
-X k8s.io/component-base/version.gitMajor=$(echo "$KUBE_VERSION" | sed 's/^v//' | cut -d. -f1) \
-X k8s.io/component-base/version.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2) \
-X k8s.io/component-base/version.gitTreeState=clean"

# kwok_stages writes the node "fast" and "heartbeat" stages and the pod "fast"
# stages shipped in the kwok module into one --config file.
kwok_stages() {
  local out="$bin/kwok-stages-$KWOK_VERSION.yaml"
  [ -f "$out" ] && return 0
  local dir
  # go list -m prints no Dir for a module not yet in the module cache.
  (cd "$here/kwok" && go mod download sigs.k8s.io/kwok)
  dir=$(cd "$here/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  if [ -z "$dir" ] || [ ! -d "$dir/kustomize/stage" ]; then
    echo "kwok's stages not found in the module cache (sigs.k8s.io/kwok: '$dir')" >&2
    return 1
  fi
  local files=(
    kustomize/stage/node/fast/node-initialize.yaml
    kustomize/stage/node/heartbeat/node-heartbeat.yaml
    kustomize/stage/pod/fast/pod-ready.yaml
    kustomize/stage/pod/fast/pod-complete.yaml
    kustomize/stage/pod/fast/pod-delete.yaml
  )
  : > "$out.tmp"
  for f in "${files[@]}"; do
    echo "---" >> "$out.tmp"
    cat "$dir/$f" >> "$out.tmp"
  done
  mv "$out.tmp" "$out"
}

cluster() {
  kwok_stages
  build etcd "$ETCD_VERSION" etcd go.etcd.io/etcd/server/v3 100
  build kube-apiserver "$KUBE_VERSION" kubernetes k8s.io/kubernetes/cmd/kube-apiserver 550 "$kube_ld"
  build kube-controller-manager "$KUBE_VERSION" kubernetes k8s.io/kubernetes/cmd/kube-controller-manager 180 "$kube_ld"
  build kube-scheduler "$KUBE_VERSION" kubernetes k8s.io/kubernetes/cmd/kube-scheduler 20 "$kube_ld"
  build kwok "$KWOK_VERSION" kwok sigs.k8s.io/kwok/cmd/kwok 160
}

helm() {
  build helm "$HELM3_VERSION" helm3 helm.sh/helm/v3/cmd/helm 120 \
    "-X helm.sh/helm/v3/internal/version.version=$HELM3_VERSION \
-X helm.sh/helm/v3/internal/version.gitTreeState=clean \
-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37 \
-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37"
  build helm "$HELM4_VERSION" helm4 helm.sh/helm/v4/cmd/helm 120 \
    "-X helm.sh/helm/v4/internal/version.version=$HELM4_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
}

registry() {
  build registry "$REGISTRY_VERSION" registry github.com/distribution/distribution/v3/cmd/registry 120 \
    "-X github.com/distribution/distribution/v3/version.version=$REGISTRY_VERSION"
}

lint() {
  build staticcheck "$STATICCHECK_VERSION" staticcheck honnef.co/go/tools/cmd/staticcheck 60
}

case "${1:-all}" in
  cluster) cluster ;;
  helm) helm ;;
  registry) registry ;;
  lint) lint ;;
  all) cluster; helm; registry ;;
  *) echo "usage: $0 [cluster|helm|registry|lint|all]" >&2; exit 2 ;;
esac
