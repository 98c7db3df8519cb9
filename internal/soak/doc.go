// Package soak is barge's fault-injection suite: it runs the barge binary
// against the local cluster (internal/localcluster) through a proxy that
// freezes, slows or cuts its connection (internal/faultproxy), kills it
// with signals at seeded random moments of install, upgrade, rollback,
// uninstall and fleet apply, sometimes with Helm v3 working on the same
// release, and after each trial checks that the release's state is sound:
// its history readable by barge and by Helm, at most one deployed revision
// and the newest of those that succeeded, nothing left pending once the
// next command has run, live objects as the deployed record says, and the
// other releases of the namespace untouched.
//
// The checks (Check and the Snapshot they read) are pure and tested on
// crafted states; the runner that drives processes and the cluster lives
// in the package's tests, as TestSoak:
//
//	go test ./internal/soak -run TestSoak                 # a bounded set, part of make test
//	BARGE_SOAK_TRIALS=500 make soak                      # the long run and its table
//	BARGE_SOAK_SEED=42 BARGE_SOAK_ONLY=17 go test ./internal/soak -run TestSoak -v
//
// It is a test harness, not a library: nothing outside tests imports it.
package soak
