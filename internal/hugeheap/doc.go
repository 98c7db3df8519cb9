// Package hugeheap asks Linux to back the first 64 MiB of the process's
// heap with transparent huge pages, as soon as the process starts.
//
// A barge command is usually a short process that builds a heap of a few
// to a few tens of megabytes in its first tens of milliseconds. With the
// kernel's default of huge pages on request only ("madvise"), and a Go
// runtime that does not request them, each fresh 4 KiB page of that heap
// costs a page fault: measured on a 2-core virtual machine, faults were
// about a third of `barge template` on a mid-sized chart, and up to two
// thirds on charts with large outputs. With 2 MiB pages the same commands
// take 30 to 60% less time.
//
// Importing the package for its side effect does it, in the package's
// initialisation, so that it happens before the heavier initialisation of
// other packages (JSON schema meta-schemas, API scheme registration). The
// import path sorts early, and the package depends only on the standard
// library, so Go initialises it among the first. It does nothing on other
// systems, when huge pages are disabled (transparent_hugepage "never"), or
// when GODEBUG has disablethp=1, the Go runtime's own switch for this.
package hugeheap
