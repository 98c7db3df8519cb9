package dependency

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"

	"github.com/bargehq/barge/pkg/chart/archive"
)

// chartFiles are the files of a chart directory that say what its
// dependencies are: Chart.yaml, requirements.yaml and their lock.
type chartFiles struct {
	// meta is the chart's metadata, dependencies included, as Helm's loader
	// reads them (requirements.yaml's replace Chart.yaml's).
	meta *chart.Metadata
	// lock is the lock file read, nil if there is none.
	lock *chart.Lock
}

// legacy reports whether the chart is apiVersion v1, whose lock is
// requirements.lock.
func (c *chartFiles) legacy() bool { return c.meta.APIVersion == chart.APIVersionV1 }

// lockName is the lock file Helm writes for the chart.
func (c *chartFiles) lockName() string {
	if c.legacy() {
		return "requirements.lock"
	}
	return "Chart.lock"
}

// depsName is the file Helm's messages say the dependencies are in.
func (c *chartFiles) depsName() string {
	if c.legacy() {
		return "requirements.yaml"
	}
	return "Chart.yaml"
}

// readChart reads the dependency files of the chart directory dir with
// Helm's loader, so that they mean what they mean to Helm (values checked
// and cleaned by the chart's validation), without loading the rest of the
// chart: a broken archive in charts/ does not stop an update that replaces
// it.
func readChart(dir string) (*chartFiles, error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("chart %s: no such directory; give the path of a chart directory", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("chart %s is not a directory: only unpacked charts can be updated; unpack the archive and give its directory", dir)
	}
	limit := archive.DefaultLimits().MaxFile
	var files []*loader.BufferedFile
	// Lexical order, as loader.LoadDir walks the directory: when both lock
	// files exist, requirements.lock wins, as in Helm.
	for _, name := range []string{"Chart.lock", "Chart.yaml", "requirements.lock", "requirements.yaml"} {
		data, err := readBounded(filepath.Join(dir, name), limit)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", dir, err)
		}
		files = append(files, &loader.BufferedFile{Name: name, Data: data})
	}
	if !slices.ContainsFunc(files, func(f *loader.BufferedFile) bool { return f.Name == "Chart.yaml" }) {
		return nil, fmt.Errorf("chart %s: Chart.yaml file is missing; give the path of a chart directory", dir)
	}
	ch, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", dir, err)
	}
	return &chartFiles{meta: ch.Metadata, lock: ch.Lock}, nil
}

// readBounded reads the file at path, refusing one larger than limit.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", filepath.Base(path), limit)
	}
	return data, nil
}

// LockDigest returns the digest a lock file records for the dependencies
// req (as Chart.yaml declares them, @name and alias:name repositories
// replaced by their URLs) resolved as locked: Helm's, "sha256:" and the
// SHA-256 in hex of the JSON array [req, locked]. Helm and barge compare it
// with the lock's to tell whether the lock is out of sync.
func LockDigest(req, locked []*chart.Dependency) (string, error) {
	data, err := json.Marshal([2][]*chart.Dependency{req, locked})
	if err != nil {
		return "", fmt.Errorf("lock digest: %w", err)
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// helm2Digest is the digest Helm 2 recorded in requirements.lock: the
// SHA-256 of {"dependencies": req}, req as written (aliases unresolved).
func helm2Digest(req []*chart.Dependency) (string, error) {
	data, err := json.Marshal(map[string][]*chart.Dependency{"dependencies": req})
	if err != nil {
		return "", fmt.Errorf("lock digest: %w", err)
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// checkLockPath refuses a lock file that is a symbolic link, as Helm does:
// writing it would write wherever it points.
func checkLockPath(dir string, cf *chartFiles) error {
	name := cf.lockName()
	dest := filepath.Join(dir, name)
	if fi, err := os.Lstat(dest); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(dest)
		return fmt.Errorf("chart %s: the %s file is a symlink to %q; replace it with a regular file (or remove it) and run the update again", dir, name, target)
	}
	return nil
}

// writeLock writes the lock of the chart in dir, in Helm's format,
// atomically. Like Helm, it refuses to write through a symbolic link.
func writeLock(dir string, cf *chartFiles, deps []*chart.Dependency, digest string, now time.Time) error {
	if err := checkLockPath(dir, cf); err != nil {
		return err
	}
	name := cf.lockName()
	dest := filepath.Join(dir, name)
	data, err := yaml.Marshal(&chart.Lock{Generated: now, Digest: digest, Dependencies: deps})
	if err != nil {
		return fmt.Errorf("chart %s: writing %s: %w", dir, name, err)
	}
	tmp, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return fmt.Errorf("chart %s: writing %s: %w", dir, name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("chart %s: writing %s: %w", dir, name, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("chart %s: writing %s: %w", dir, name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("chart %s: writing %s: %w", dir, name, err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return fmt.Errorf("chart %s: writing %s: %w", dir, name, err)
	}
	return nil
}
