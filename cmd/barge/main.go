// Command barge is a Helm-compatible package manager and release engine for Kubernetes.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/bargehq/barge/internal/cli"
	// Huge pages for the heap, from before the other packages initialise.
	_ "github.com/bargehq/barge/internal/hugeheap"
)

// gcPercent and memoryLimit tune the garbage collector unless GOGC or
// GOMEMLIMIT say otherwise: most barge commands are short processes that
// allocate a lot once (a chart, its rendered output, release records), for
// which collecting four times less often saves a tenth of their CPU, while
// the soft limit keeps long fleet runs well under a gigabyte.
const (
	gcPercent   = 400
	memoryLimit = 768 << 20
)

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx))
}

func run(ctx context.Context) int {
	root := cli.NewRootCmd(os.Stdin, os.Stdout, os.Stderr, os.Environ())
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var exit *cli.ExitError
	if errors.As(err, &exit) {
		if exit.Err != nil {
			fmt.Fprintln(os.Stderr, "Error:", exit.Err)
		}
		return exit.Code
	}
	fmt.Fprintln(os.Stderr, "Error:", err)
	return 1
}
