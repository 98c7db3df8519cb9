package chart

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/ignore"
)

// maxFileSize bounds each file ReadDir reads, as Helm's loader bounds
// them.
const maxFileSize = 5 << 20

// ReadDir reads the files of the chart directory dir, as Helm's loader
// reads them before it loads a chart: the files .helmignore (and Helm's
// defaults) do not ignore, named relative to dir with forward slashes,
// a UTF-8 byte order mark removed. Unlike loading, it does not parse them,
// so that a chart whose Chart.yaml is broken can still be looked at.
// Symbolic links to files are read through; anything else that is not a
// regular file or a directory is an error naming it.
func ReadDir(dir string) ([]*loader.BufferedFile, error) {
	rules := ignore.Empty()
	ifile := filepath.Join(dir, ignore.HelmIgnore)
	if _, err := os.Stat(ifile); err == nil {
		r, err := ignore.ParseFile(ifile)
		if err != nil {
			return nil, fmt.Errorf("chart %s: %s: %w", dir, ignore.HelmIgnore, err)
		}
		rules = r
	}
	rules.AddDefaults()
	var files []*loader.BufferedFile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		fi, err := os.Stat(p) // through symbolic links
		if err != nil {
			return err
		}
		if fi.IsDir() {
			if rules.Ignore(rel, fi) {
				return filepath.SkipDir
			}
			if d.Type()&fs.ModeSymlink != 0 {
				return fmt.Errorf("chart %s: %s is a symbolic link to a directory; replace it with the directory", dir, rel)
			}
			return nil
		}
		if rules.Ignore(rel, fi) {
			return nil
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("chart %s: %s is not a regular file", dir, rel)
		}
		if fi.Size() > maxFileSize {
			return fmt.Errorf("chart %s: %s is larger than %d bytes", dir, rel, maxFileSize)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, &loader.BufferedFile{Name: rel, Data: bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}
