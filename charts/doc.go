// Package charts holds the charts barge ships, embedded in the binary:
// Starter, the scaffold `barge create` writes, and Joomla, a complete
// application chart that also serves as barge's benchmark and end-to-end
// workload. The chart sources live next to this file as ordinary chart
// directories, so Helm and barge can lint, render and install them in place.
//
// The exported file systems are read-only and safe for use by several
// goroutines at once.
package charts
