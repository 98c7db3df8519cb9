package main

import "context"

// benchDiff times `barge diff upgrade` of an argo-cd release against
// `barge upgrade --dry-run=server` of the same release.
func benchDiff(ctx context.Context, e *env) error {
	return errNotYet
}

// benchFleet compares barge apply of Joomla tenants with the API server's
// limit and with Helm.
func benchFleet(ctx context.Context, e *env) error {
	return errNotYet
}
