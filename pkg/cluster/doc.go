// Package cluster is barge's session with one Kubernetes cluster: the check
// that it answers, what templates see of it (.Capabilities: its version
// and the API versions it serves), and its objects as charts and fleets
// read them (the lookup template function, lists of a kind) and create
// them.
//
// It is not a client: pkg/kube applies, deletes and waits, and
// pkg/release/storage keeps the release records. It knows nothing of
// releases; the release engine and the fleet runner take what it provides
// through small interfaces of their own.
package cluster
