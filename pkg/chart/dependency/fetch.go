package dependency

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/bargehq/barge/pkg/chart/archive"
	"github.com/bargehq/barge/pkg/oci"
	"github.com/bargehq/barge/pkg/repo"
	"github.com/bargehq/barge/pkg/repo/getter"
)

// item is one dependency to put in charts/.
type item struct {
	// dep is the locked dependency: its name, repository and version (for
	// a chart without repository, the constraint).
	dep *chart.Dependency
	// src is where it comes from.
	src source
	// cv is its index entry (fromRepo, fromURL).
	cv *repo.ChartVersion
}

// stagingPrefix starts the name of the directory under charts/ where the
// archives wait until all are fetched. Helm's loader skips entries of
// charts/ whose name starts with a dot.
const stagingPrefix = ".barge-deps-"

// install puts the dependencies items into charts/, printing Helm's lines:
// it fetches or packages each into a staging directory under charts/, and
// only once all are there moves them into charts/ and removes the archives
// they replace. A failure before the moves leaves charts/ as it was (and
// absent if it was).
func (r *run) install(ctx context.Context, items []item) (err error) {
	chartsDir := filepath.Join(r.dir, "charts")
	made, err := r.chartsDir(chartsDir)
	if err != nil {
		return err
	}
	if made {
		defer func() {
			if err != nil {
				// Empty unless the moves began: then it stays.
				_ = os.Remove(chartsDir)
			}
		}()
	}
	before, err := os.ReadDir(chartsDir)
	if err != nil {
		return fmt.Errorf("chart %s: %w", r.dir, err)
	}
	r.removeStale(chartsDir, before)
	staging, err := os.MkdirTemp(chartsDir, stagingPrefix)
	if err != nil {
		return fmt.Errorf("chart %s: %w", r.dir, err)
	}
	defer os.RemoveAll(staging)

	fmt.Fprintf(r.out, "Saving %d charts\n", len(items))
	staged := map[string]bool{}
	var order []string
	fetched := map[string]bool{}
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return err
		}
		var name string
		switch it.src.origin {
		case fromCharts:
			fmt.Fprintf(r.out, "Dependency %s did not declare a repository. Assuming it exists in the charts directory\n", it.dep.Name)
			if err := r.checkUnpacked(chartsDir, it.dep); err != nil {
				return err
			}
			continue
		case fromFile:
			r.log.Debug("archiving a local chart", "dependency", it.dep.Name, "repository", it.dep.Repository)
			name, err = r.packLocal(it, staging)
		case fromOCI:
			chartRef := it.src.url + "/" + it.dep.Name + ":" + oci.TagOf(it.dep.Version)
			fmt.Fprintf(r.out, "Downloading %s from repo %s\n", it.dep.Name, it.dep.Repository)
			name, err = r.download(ctx, it, chartRef, staging)
		default:
			var chartURL string
			chartURL, err = it.cv.ChartURL(it.src.url)
			if err != nil {
				return fmt.Errorf("chart %s: dependency %q: repository %s: %w", r.dir, it.dep.Name, it.src.label(), err)
			}
			if fetched[chartURL] {
				fmt.Fprintf(r.out, "Already downloaded %s from repo %s\n", it.dep.Name, getter.Redact(it.dep.Repository))
				continue
			}
			fetched[chartURL] = true
			fmt.Fprintf(r.out, "Downloading %s from repo %s\n", it.dep.Name, getter.Redact(it.dep.Repository))
			name, err = r.download(ctx, it, chartURL, staging)
		}
		if err != nil {
			return err
		}
		if !staged[name] {
			order = append(order, name)
		}
		staged[name] = true
	}

	for _, name := range order {
		if err := os.Rename(filepath.Join(staging, name), filepath.Join(chartsDir, name)); err != nil {
			return fmt.Errorf("chart %s: moving %s into charts/: %w", r.dir, name, err)
		}
	}
	fmt.Fprintln(r.out, "Deleting outdated charts")
	r.removeOutdated(chartsDir, before, staged, items)
	return nil
}

// staleAfter is the age after which a staging directory is taken for one
// left by a process that was killed.
const staleAfter = time.Hour

// removeStale removes the staging directories, among the entries of
// charts/, that killed processes left: Helm's loader skips them, but
// packaging the chart would take their files along.
func (r *run) removeStale(chartsDir string, entries []fs.DirEntry) {
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), stagingPrefix) {
			continue
		}
		if fi, err := e.Info(); err != nil || time.Since(fi.ModTime()) < staleAfter {
			continue
		}
		p := filepath.Join(chartsDir, e.Name())
		if err := os.RemoveAll(p); err != nil {
			r.log.Warn("could not remove a staging directory left by an interrupted update", "directory", p, "error", err)
		}
	}
}

// chartsDir makes sure dir, the chart's charts/, is a directory of the
// chart's own, creating it if need be (made is then true).
func (r *run) chartsDir(dir string) (made bool, err error) {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(dir, 0o755); err != nil {
			return false, fmt.Errorf("chart %s: %w", r.dir, err)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("chart %s: %w", r.dir, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(dir)
		return false, fmt.Errorf("chart %s: %q is a symbolic link (to %q): barge writes dependencies only into the chart's own charts/ directory; replace the link with a directory", r.dir, dir, target)
	case !fi.IsDir():
		return false, fmt.Errorf("chart %s: %q is not a directory; remove or rename it, so that the dependencies can be saved there", r.dir, dir)
	}
	return false, nil
}

// checkUnpacked checks that the dependency dep, without repository, is
// unpacked in charts/ at a version satisfying its constraint.
func (r *run) checkUnpacked(chartsDir string, dep *chart.Dependency) error {
	p := filepath.Join(chartsDir, dep.Name)
	ch, err := loader.LoadDir(p)
	if err != nil {
		return fmt.Errorf("chart %s: dependency %q: unable to load chart '%s': %w", r.dir, dep.Name, p, err)
	}
	con, err := semver.NewConstraint(dep.Version)
	if err != nil {
		return fmt.Errorf("chart %s: dependency %q has an invalid version/constraint format: %w", r.dir, dep.Name, err)
	}
	v, err := semver.NewVersion(ch.Metadata.Version)
	if err != nil {
		return fmt.Errorf("chart %s: invalid version %s for dependency %s: %w", r.dir, ch.Metadata.Version, dep.Name, err)
	}
	if !con.Check(v) {
		return kindErrorf(ErrVersionNotFound, "chart %s: dependency %s at version %s does not satisfy the constraint %s; unpack a matching version in %s, or change the constraint", r.dir, dep.Name, ch.Metadata.Version, dep.Version, p)
	}
	return nil
}

// packLocal packages the file:// dependency of it into staging and returns
// the archive's name.
func (r *run) packLocal(it item, staging string) (string, error) {
	ch, err := loader.LoadDir(it.src.path)
	if err != nil {
		return "", fmt.Errorf("chart %s: dependency %q (%s): %w", r.dir, it.dep.Name, it.dep.Repository, err)
	}
	if ch.Name() != it.dep.Name {
		return "", fmt.Errorf("chart %s: dependency %q (%s): the chart there is called %q; a dependency's name is its chart's name (use alias to rename it)", r.dir, it.dep.Name, it.dep.Repository, ch.Name())
	}
	con, err := semver.NewConstraint(it.dep.Version)
	if err != nil {
		return "", fmt.Errorf("chart %s: dependency %q has an invalid version/constraint format: %w", r.dir, it.dep.Name, err)
	}
	v, err := semver.NewVersion(ch.Metadata.Version)
	if err != nil || !con.Check(v) {
		return "", kindErrorf(ErrVersionNotFound, "chart %s: can't get a valid version for dependency %s: the chart at %s is version %s, not %s; run 'barge dependency update %s'", r.dir, it.dep.Name, it.dep.Repository, ch.Metadata.Version, it.dep.Version, r.dir)
	}
	name := ch.Name() + "-" + ch.Metadata.Version + ".tgz"
	f, err := os.OpenFile(filepath.Join(staging, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("chart %s: dependency %q: %w", r.dir, it.dep.Name, err)
	}
	bw := bufio.NewWriter(f)
	err = archive.Write(bw, ch)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("chart %s: dependency %q (%s): %w", r.dir, it.dep.Name, it.dep.Repository, err)
	}
	return name, nil
}

// download fetches the archive of it, at chartURL, through the resolver,
// checks it, and copies it into staging; it returns the archive's name.
func (r *run) download(ctx context.Context, it item, chartURL, staging string) (string, error) {
	res := r.opts.Resolver
	if res == nil {
		return "", fmt.Errorf("chart %s: dependency %q: no repository resolver given (dependency.Options.Resolver)", r.dir, it.dep.Name)
	}
	ref := repo.Ref{Chart: chartURL, RemoteOnly: true}
	if it.src.origin == fromOCI {
		ref = r.opts.Registry
		ref.Chart, ref.RemoteOnly = chartURL, true
	}
	if e := it.src.entry; e != nil {
		ref.Username, ref.Password = e.Username, e.Password
		ref.CertFile, ref.KeyFile, ref.CAFile = e.CertFile, e.KeyFile, e.CAFile
		ref.Insecure, ref.PassCredentials = e.InsecureSkipTLSVerify, e.PassCredentialsAll
	}
	loc, err := res.Locate(ctx, ref)
	if err != nil {
		if it.src.origin == fromURL && errors.Is(err, getter.ErrUnauthorized) {
			return "", fmt.Errorf("chart %s: dependency %q: %w (a repository given by URL only gets no credentials: add it with 'barge repo add NAME %s --username ... --password ...', and barge uses them)", r.dir, it.dep.Name, err, getter.Redact(it.src.url))
		}
		return "", fmt.Errorf("chart %s: dependency %q: %w", r.dir, it.dep.Name, err)
	}
	// An OCI chart has no index entry: the pull checked the registry's
	// digests.
	if it.cv != nil {
		if want := normalDigest(it.cv.Digest); want != "" && loc.Digest != want {
			return "", fmt.Errorf("chart %s: dependency %q: chart archive %s: %w: the index of %s says sha256:%s, the download is sha256:%s; the archive changed since the index was made: tell the repository's maintainers",
				r.dir, it.dep.Name, getter.Redact(chartURL), repo.ErrDigestMismatch, it.src.label(), want, loc.Digest)
		}
	}
	if r.opts.Verify != nil {
		if err := r.opts.Verify(ctx, loc); err != nil {
			return "", fmt.Errorf("chart %s: dependency %q: %w", r.dir, it.dep.Name, err)
		}
	}
	ch, err := archive.LoadFileAs(loc.Path, getter.Redact(chartURL), archive.DefaultLimits())
	if err != nil {
		return "", fmt.Errorf("chart %s: dependency %q: %w", r.dir, it.dep.Name, err)
	}
	if ch.Name() != it.dep.Name {
		return "", fmt.Errorf("chart %s: dependency %q: the archive %s holds the chart %q; the repository's index is wrong: tell its maintainers", r.dir, it.dep.Name, getter.Redact(chartURL), ch.Name())
	}
	if ch.Metadata.Version != it.dep.Version {
		r.log.Warn("the archive's version is not the index's", "dependency", it.dep.Name, "url", getter.Redact(chartURL), "index", it.dep.Version, "archive", ch.Metadata.Version)
	}
	name := ch.Name() + "-" + ch.Metadata.Version + ".tgz"
	if err := copyFile(loc.Path, filepath.Join(staging, name)); err != nil {
		return "", fmt.Errorf("chart %s: dependency %q: %w", r.dir, it.dep.Name, err)
	}
	return name, nil
}

// normalDigest is an index's digest as lowercase hex, "" for none.
func normalDigest(d string) string {
	return strings.TrimPrefix(strings.ToLower(strings.TrimSpace(d)), "sha256:")
}

// copyFile copies the file src to dst, a new file.
func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeOutdated removes from charts/ the archives, listed in before, of
// the dependencies items fetched or packaged, but for those just staged.
// An archive that cannot be loaded counts as a dependency's when its name
// is NAME-VERSION.tgz. Archives of other charts are kept (Helm removes
// every archive it did not just fetch). Failures are logged.
func (r *run) removeOutdated(chartsDir string, before []fs.DirEntry, staged map[string]bool, items []item) {
	managed := map[string]bool{}
	for _, it := range items {
		if it.src.origin != fromCharts {
			managed[it.dep.Name] = true
		}
	}
	for _, e := range before {
		n := e.Name()
		if e.IsDir() || staged[n] || strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".tgz") {
			continue
		}
		p := filepath.Join(chartsDir, n)
		owner := archiveOwner(n, managed)
		if ch, err := archive.LoadFile(p, archive.DefaultLimits()); err == nil {
			owner = ch.Name()
		}
		if !managed[owner] {
			continue
		}
		if err := os.Remove(p); err != nil {
			r.log.Warn("could not delete an outdated chart archive", "file", p, "error", err)
			continue
		}
		r.log.Debug("deleted an outdated chart archive", "file", p)
	}
	for name := range managed {
		if _, err := os.Stat(filepath.Join(chartsDir, name, "Chart.yaml")); err == nil {
			r.log.Warn("an unpacked copy of a dependency is in charts/ too: Helm and barge load both; remove it", "dependency", name, "directory", filepath.Join(chartsDir, name))
		}
	}
}

// archiveOwner is the dependency of managed whose archive the file name n
// looks like (NAME-VERSION.tgz), or "".
func archiveOwner(n string, managed map[string]bool) string {
	base := strings.TrimSuffix(n, ".tgz")
	for name := range managed {
		if v, ok := strings.CutPrefix(base, name+"-"); ok {
			if _, err := semver.StrictNewVersion(v); err == nil {
				return name
			}
		}
	}
	return ""
}
