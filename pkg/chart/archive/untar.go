package archive

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"
)

// ExistsError is returned by Untar when the directory it would create is
// already there. errors.Is(err, fs.ErrExist) holds for it.
type ExistsError struct {
	// Path is the file or directory in the way.
	Path string
}

// Error words the refusal as `helm pull --untar` does, and says what to do.
func (e *ExistsError) Error() string {
	return fmt.Sprintf("failed to untar: a file or directory with the name %s already exists; remove it, or untar into another directory", e.Path)
}

// Unwrap returns fs.ErrExist.
func (e *ExistsError) Unwrap() error { return fs.ErrExist }

// Untar unpacks the chart archive r into dest as `helm pull --untar` does:
// the chart's files go to dest/NAME, where NAME is the name in the chart's
// Chart.yaml (not the name of the archive's top-level directory), with mode
// 0644, and directories with mode 0755 (less the umask). It returns the
// directory it made. name (a path or URL) is used in errors only.
//
// The archive is read and checked whole, as Read does, before anything is
// written; an archive Read refuses, or whose Chart.yaml gives no usable name,
// is reported as an *Error. dest must be an existing directory. If dest/NAME
// already exists, Untar returns an *ExistsError and writes nothing.
//
// Nothing is written outside dest, and on error nothing is left in it:
// the files are written into a temporary directory inside dest, through an
// os.Root so that no path can leave it, and renamed into place at the end.
// A process killed while Untar runs can leave that directory behind; its
// name starts with ".barge-untar-".
func Untar(r io.Reader, name, dest string, lim Limits) (dir string, err error) {
	files, top, err := read(r, name, lim)
	if err != nil {
		return "", err
	}
	chartName, err := chartNameOf(files, name, top)
	if err != nil {
		return "", err
	}

	fi, err := os.Stat(dest)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("untar %s: destination %s does not exist; create it first", name, dest)
	case err != nil:
		return "", fmt.Errorf("untar %s: %w", name, err)
	case !fi.IsDir():
		return "", fmt.Errorf("untar %s: destination %s is not a directory", name, dest)
	}
	final := filepath.Join(dest, chartName)
	if err := checkAbsent(final); err != nil {
		return "", err
	}

	tmp, err := os.MkdirTemp(dest, ".barge-untar-")
	if err != nil {
		return "", fmt.Errorf("untar %s: %w", name, err)
	}
	// Once the chart is renamed into place tmp is empty; on error it holds
	// what was written.
	defer os.RemoveAll(tmp)
	if err := writeFiles(tmp, chartName, files); err != nil {
		return "", fmt.Errorf("untar %s into %s: %w", name, dest, err)
	}
	// Check again: the unpacking took time, and rename would replace an
	// empty directory made meanwhile.
	if err := checkAbsent(final); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(tmp, chartName), final); err != nil {
		return "", fmt.Errorf("untar %s into %s: %w", name, dest, err)
	}
	return final, nil
}

// checkAbsent returns an *ExistsError if p exists, nil if it does not.
// Other errors are returned wrapped.
func checkAbsent(p string) error {
	_, err := os.Lstat(p)
	switch {
	case err == nil:
		return &ExistsError{Path: p}
	case errors.Is(err, fs.ErrNotExist):
		return nil
	}
	return fmt.Errorf("untar: %w", err)
}

// chartNameOf returns the name given in the Chart.yaml among files, checked
// to be usable as a directory's name.
func chartNameOf(files []*loader.BufferedFile, name, top string) (string, error) {
	entry := top + "/Chart.yaml"
	for _, f := range files {
		if f.Name != "Chart.yaml" {
			continue
		}
		var md chart.Metadata
		if err := yaml.Unmarshal(f.Data, &md); err != nil {
			return "", &Error{Archive: name, Entry: entry, Reason: fmt.Sprintf("Chart.yaml does not parse: %v; fix it and %s", err, fixRepackage), Err: err}
		}
		if reason := checkChartName(md.Name); reason != "" {
			return "", &Error{Archive: name, Entry: entry, Reason: reason + "; fix Chart.yaml and " + fixRepackage}
		}
		return md.Name, nil
	}
	return "", &Error{Archive: name, Entry: entry, Reason: fmt.Sprintf("the archive has no Chart.yaml in the chart's directory %q, so it holds no chart; %s", top+"/", fixRepackage)}
}

// writeFiles writes files under dir/chartName, a directory it creates. All
// paths go through an os.Root on dir, so none can leave it whatever they
// hold; files are created exclusively, so none can replace another (on a
// case-insensitive file system, Chart.yaml and chart.yaml collide).
func writeFiles(dir, chartName string, files []*loader.BufferedFile) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	if err := root.Mkdir(chartName, 0o755); err != nil {
		return err
	}
	made := map[string]bool{chartName: true}
	for _, f := range files {
		p := path.Join(chartName, f.Name)
		if d := path.Dir(p); !made[d] {
			if err := root.MkdirAll(filepath.FromSlash(d), 0o755); err != nil {
				return err
			}
			for ; !made[d]; d = path.Dir(d) {
				made[d] = true
			}
		}
		if err := writeFile(root, filepath.FromSlash(p), f.Data); err != nil {
			return err
		}
	}
	return root.Close()
}

// writeFile creates the file p under root, which must not exist, with data.
func writeFile(root *os.Root, p string, data []byte) error {
	w, err := root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
