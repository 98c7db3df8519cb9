// Package release is barge's release engine and its record type.
//
// Release is one revision of a release in Helm's own record format, so that
// Helm v3, Helm v4 and barge can take turns on the same release. Storing
// records is the job of package storage; this package defines what a record
// is and the errors stores return (ErrNotFound, ErrExists, ErrNoDeployed,
// ErrLocked).
//
// Engine installs, upgrades, rolls back, tests and uninstalls releases with
// Helm's behaviour: the same record statuses and descriptions, hook events,
// weights and delete policies, ownership metadata, resource-policy keep,
// --atomic and --cleanup-on-fail. Objects are applied with server-side
// apply through package kube; the engine declares the small interfaces it
// needs (Applier, Getter, Remover, Waiter, LogReader, Store), so that a
// client-side dry run needs no cluster.
//
// Each operation first computes a Plan (PlanInstall, PlanUpgrade,
// PlanRollback, PlanUninstall): the record to write, the objects to apply
// and delete, and the hooks to run, without changing anything. The
// operation then executes it. `barge diff` and dry runs use the same plans.
//
// Every operation holds the release's lock (a Lease) while it runs, so a
// second operation fails at once naming the holder. A revision left pending
// by a process that died is marked failed by the next operation, and an
// operation whose context is cancelled records its revision failed rather
// than leaving it pending.
package release
