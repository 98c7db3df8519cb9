package cli

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bargeBinary returns the barge binary TestMain built, skipping with -short.
// These tests need no cluster.
func bargeBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: runs the barge binary (built without -short)")
	}
	if e2eBinaries.err != nil {
		t.Fatalf("building barge: %v", e2eBinaries.err)
	}
	return e2eBinaries.barge
}

// TestE2EDependencyBinary runs dependency update, build and package as a
// user does: stdout, the "Error:" line on stderr, and the exit codes.
func TestE2EDependencyBinary(t *testing.T) {
	bin := bargeBinary(t)
	srv := depRepoServer(t, "sub@1.2.0", "sub@1.3.0")
	e := newRepoEnv(t)
	run := func(args ...string) (string, string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, e.env...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return out.String(), errOut.String(), exit.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return out.String(), errOut.String(), 0
	}
	dir := depParent(t, "- name: sub\n  version: ~1.2.0\n  repository: "+srv.URL+"\n")
	out, errOut, code := run("dependency", "update", dir)
	want := "Getting updates for unmanaged Helm repositories...\n...Successfully got an update from the \"" + srv.URL + "\" chart repository\nSaving 1 charts\nDownloading sub from repo " + srv.URL + "\nDeleting outdated charts\n"
	if code != 0 || out != want || errOut != "" {
		t.Errorf("dependency update: exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", code, out, want, errOut)
	}

	os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: ~1.3.0\n  repository: "+srv.URL+"\n"), 0o644)
	out, errOut, code = run("dependency", "build", dir)
	wantErr := "Error: chart " + dir + ": the lock file (Chart.lock) is out of sync with the dependencies file (Chart.yaml). Please update the dependencies: run 'barge dependency update " + dir + "'\n"
	if code != 1 || out != "" || errOut != wantErr {
		t.Errorf("dependency build: exit %d\nstdout:\n%s\nstderr:\n%s\nwant:\n%s", code, out, errOut, wantErr)
	}

	dest := t.TempDir()
	out, errOut, code = run("package", "-u", dir, "-d", dest)
	if want := "Successfully packaged chart and saved it to: " + filepath.Join(dest, "parent-0.1.0.tgz") + "\n"; code != 0 || out != want || errOut != "" {
		t.Errorf("package -u: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if got := chartsDirList(t, dir); len(got) != 1 || got[0] != "sub-1.3.0.tgz" {
		t.Errorf("charts/ after package -u: %v", got)
	}
}

// TestE2EDependencyInterrupted stops barge with SIGINT while it downloads a
// dependency: it exits at once, and charts/ and the lock are as they were.
func TestE2EDependencyInterrupted(t *testing.T) {
	bin := bargeBinary(t)
	srv := depRepoServer(t, "sub@1.2.0")
	stalled := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".tgz") {
			select {
			case stalled <- struct{}{}:
			default:
			}
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer slow.Close()

	e := newRepoEnv(t)
	dir := depParent(t, "- name: sub\n  version: ^1\n  repository: "+slow.URL+"\n")
	os.MkdirAll(filepath.Join(dir, "charts"), 0o755)
	os.WriteFile(filepath.Join(dir, "charts", "sub-1.0.0.tgz"), []byte("the old archive"), 0o644)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "dependency", "update", dir)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, e.env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stalled:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("barge never asked for the archive\nstdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("barge took %v to stop", took)
	}
	if err == nil {
		t.Errorf("barge succeeded after SIGINT\nstdout:\n%s", out.String())
	}
	if !strings.Contains(errOut.String(), "Error: ") || !strings.Contains(errOut.String(), "interrupt") {
		t.Errorf("stderr:\n%s", errOut.String())
	}
	if got := chartsDirList(t, dir); len(got) != 1 || got[0] != "sub-1.0.0.tgz" {
		t.Errorf("charts/ after SIGINT: %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "Chart.lock")); err == nil {
		t.Error("a lock was written")
	}
}
