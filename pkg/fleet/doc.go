// Package fleet deploys and keeps up to date many releases described in one
// fleet file: typically one release of a chart per tenant, each with its own
// name, namespace, values and labels.
//
// A fleet file (Load, Parse) lists release definitions; a definition marked
// perTenant is stamped out once per tenant (Expand), with the tenant's name
// and fields available to templates in its name, namespace, values, set
// values and labels. The result is a list of desired releases.
//
// A Runner compares the desired releases with their records (Plan): each is
// to install, to upgrade, unchanged (nothing is written for it) or, for
// releases the fleet owns but no longer lists, to prune. It then executes
// the plan (Apply) or uninstalls the fleet (Destroy) with bounded
// concurrency, on top of package release: every release keeps its own lock
// and its own history in Helm's format, exactly as a single install would
// leave it. Charts are loaded and parsed once per fleet; the cluster client,
// its discovery and REST mapping are shared by every release. One failing
// release never stops the others; the Report says which failed and why.
//
// Releases the fleet installs carry the storage label barge.dev/fleet with
// the fleet's name (and barge.dev/tenant with the tenant's), which is how
// pruning finds the releases it owns and leaves every other release alone.
//
// This package does not print: progress is reported through Options.Events,
// and the CLI renders it.
package fleet
