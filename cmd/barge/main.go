// Command barge is a Helm-compatible package manager and release engine for Kubernetes.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/bargehq/barge/internal/cli"
)

func main() {
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
