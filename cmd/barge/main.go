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

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

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
	quietClientGo(root)
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

// quietClientGo keeps client-go's own log lines (klog: client-side
// throttling, watches dropped and restarted, a client certificate that
// cannot be loaded...) off stderr, where they would mix with barge's
// output and errors, which say what matters. With --debug they are shown.
// klog is global state of the process: it is set here, once, never in a
// library.
func quietClientGo(root *cobra.Command) {
	// A logger takes every line, errors included (with klog's own output
	// off, it would still write errors to stderr).
	klog.SetLogger(logr.Discard())
	// The API server's warnings (a deprecated API, a field it ignores) are
	// for the user: printed as kubectl does, "Warning: ...", once each,
	// rather than through klog.
	rest.SetDefaultWarningHandler(rest.NewWarningWriter(os.Stderr, rest.WarningWriterOptions{Deduplicate: true}))
	next := root.PersistentPreRun
	root.PersistentPreRun = func(cmd *cobra.Command, args []string) {
		if f := cmd.Flags().Lookup("debug"); f != nil && f.Value.String() == "true" {
			klog.ClearLogger()
		}
		if next != nil {
			next(cmd, args)
		}
	}
}
