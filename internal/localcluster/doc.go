// Package localcluster starts a real, private Kubernetes cluster on loopback
// for barge's end-to-end tests, demo and benchmarks: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler built from the Kubernetes
// sources, and kwok simulating nodes so that Deployments, StatefulSets, Jobs
// and PersistentVolumeClaims really progress.
//
// Each cluster runs in a temporary directory with free ports, credentials
// generated for the run, and RBAC on. Child processes die with the process
// that started them (Linux parent-death signal), so a test binary that panics
// or is killed leaves nothing running.
//
// The binaries come from hack/tools/build.sh, cached under .cache/bin by
// version. It is not a fake: no component is simulated but the kubelet.
package localcluster
