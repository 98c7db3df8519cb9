// Command cluster starts and stops barge's local Kubernetes cluster in the
// background, for the demo, the benchmarks, and anyone who wants to try barge:
//
//	cluster up --dir .cache/cluster     # returns once the cluster is ready
//	cluster down --dir .cache/cluster
//
// The kubeconfig is written to DIR/kubeconfig.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bargehq/barge/internal/localcluster"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: cluster up|down|serve --dir DIR")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dir := fs.String("dir", ".cache/cluster", "directory of the cluster's state and kubeconfig")
	_ = fs.Parse(os.Args[2:])
	abs, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch os.Args[1] {
	case "up":
		err = up(ctx, abs)
	case "down":
		err = down(abs)
	case "serve":
		err = serve(ctx, abs)
	default:
		err = fmt.Errorf("unknown command %q: use up, down or serve", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

func pidFile(dir string) string { return filepath.Join(dir, "pid") }

// running returns the pid of a live serving process, or 0.
func running(dir string) int {
	b, err := os.ReadFile(pidFile(dir))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	if syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

func up(ctx context.Context, dir string) error {
	if pid := running(dir); pid != 0 {
		fmt.Printf("cluster already running (pid %d); kubeconfig: %s\n", pid, filepath.Join(dir, "kubeconfig"))
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range []string{"ready", "failed", "kubeconfig", "cluster.log"} {
		_ = os.Remove(filepath.Join(dir, f))
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(dir, "cluster.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(self, "serve", "--dir", dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	_ = cmd.Process.Release()
	begin := time.Now()
	var shown int64
	for {
		shown = echoNew(filepath.Join(dir, "cluster.log"), shown)
		if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
			fmt.Printf("cluster up in %.1f s; kubeconfig: %s\n  export KUBECONFIG=%s\n", time.Since(begin).Seconds(), filepath.Join(dir, "kubeconfig"), filepath.Join(dir, "kubeconfig"))
			return nil
		}
		if _, err := os.Stat(filepath.Join(dir, "failed")); err == nil {
			return errors.New("the cluster did not start (see above)")
		}
		select {
		case <-ctx.Done():
			_ = down(dir)
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// echoNew prints what was appended to path since offset and returns the new offset.
func echoNew(path string, offset int64) int64 {
	f, err := os.Open(path)
	if err != nil {
		return offset
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return offset
	}
	n, _ := io.Copy(os.Stdout, f)
	return offset + n
}

func serve(ctx context.Context, dir string) error {
	run := filepath.Join(dir, "run")
	_ = os.RemoveAll(run)
	if err := os.WriteFile(pidFile(dir), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return err
	}
	defer os.Remove(pidFile(dir))
	c, err := localcluster.Start(ctx, localcluster.Options{Dir: run, Log: os.Stdout})
	if err != nil {
		fmt.Println(err)
		_ = os.WriteFile(filepath.Join(dir, "failed"), nil, 0o644)
		return err
	}
	defer func() {
		c.Stop()
		_ = os.RemoveAll(run)
		fmt.Println("cluster stopped")
	}()
	kc, err := os.ReadFile(c.KubeconfigPath)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "kubeconfig"), kc, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "ready"), nil, 0o644); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

func down(dir string) error {
	pid := running(dir)
	if pid == 0 {
		fmt.Println("no cluster running")
		return nil
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if syscall.Kill(pid, 0) != nil {
			fmt.Println("cluster stopped")
			_ = os.Remove(filepath.Join(dir, "ready"))
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	_ = os.Remove(filepath.Join(dir, "ready"))
	fmt.Println("cluster killed after 30 s")
	return nil
}
