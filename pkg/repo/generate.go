package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"

	"github.com/bargehq/barge/pkg/chart/archive"
)

// IndexDirectory indexes the chart archives in dir as "helm repo index"
// does: the *.tgz files in dir and in its direct subdirectories (not deeper),
// each listed with its Chart.yaml metadata, its digest (the SHA-256 of the
// archive, in hex), created at now(), and its URL: the archive's path
// relative to dir, joined to baseURL when one is given. A file that is not a
// chart archive is left out and recorded in the Index's Skipped (Helm leaves
// it out silently); a chart whose Chart.yaml is invalid is an error naming
// the file. now may be nil (time.Now).
func IndexDirectory(ctx context.Context, dir, baseURL string, now func() time.Time) (*Index, error) {
	if now == nil {
		now = time.Now
	}
	archives, err := findArchives(dir)
	if err != nil {
		return nil, err
	}
	idx := &Index{APIVersion: "v1", Generated: now(), Entries: map[string][]*ChartVersion{}, Source: dir}
	for _, rel := range archives {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		file := filepath.Join(dir, rel)
		md, err := archiveMetadata(file)
		if err != nil {
			idx.Skipped = append(idx.Skipped, &EntryError{Source: dir, Chart: filepath.ToSlash(rel), Reason: "not a chart archive: " + oneLine(err.Error())})
			continue
		}
		digest, err := fileDigest(file)
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", dir, err)
		}
		if md.APIVersion == "" {
			md.APIVersion = chart.APIVersionV1
		}
		if err := md.Validate(); err != nil {
			return nil, fmt.Errorf("index %s: chart archive %s: %w; fix its Chart.yaml and package it again", dir, rel, err)
		}
		parent, base := path.Split(filepath.ToSlash(rel))
		u := base
		if parentURL := urlJoin(baseURL, strings.TrimSuffix(parent, "/")); parentURL != "" {
			u = urlJoin(parentURL, base)
		}
		idx.Entries[md.Name] = append(idx.Entries[md.Name], &ChartVersion{
			Metadata: md,
			URLs:     []string{u},
			Created:  now(),
			Digest:   digest,
		})
	}
	return idx, nil
}

// findArchives lists the .tgz files of dir and of its direct subdirectories,
// relative to dir, in Helm's order: dir's first, then each subdirectory's,
// each in lexical order. Links are followed.
func findArchives(dir string) ([]string, error) {
	top, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", dir, err)
	}
	var files, subdirs []string
	for _, e := range top {
		fi, err := os.Stat(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // a dangling link
		}
		switch {
		case fi.IsDir():
			subdirs = append(subdirs, e.Name())
		case strings.HasSuffix(e.Name(), ".tgz"):
			files = append(files, e.Name())
		}
	}
	for _, sub := range subdirs {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".tgz") {
				continue
			}
			rel := filepath.Join(sub, e.Name())
			if fi, err := os.Stat(filepath.Join(dir, rel)); err == nil && !fi.IsDir() {
				files = append(files, rel)
			}
		}
	}
	return files, nil
}

// archiveMetadata reads the Chart.yaml of the chart archive at path, with
// the checks and limits of package archive (an archive is untrusted).
func archiveMetadata(path string) (*chart.Metadata, error) {
	ch, err := archive.LoadFile(path, archive.DefaultLimits())
	if err != nil {
		return nil, err
	}
	if ch.Metadata == nil {
		return nil, errors.New("no Chart.yaml")
	}
	return ch.Metadata, nil
}

// fileDigest is the SHA-256 of the file at path, in hex.
func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// urlJoin joins elem to the path of base as Helm's index does; a base that
// does not parse is joined as a path.
func urlJoin(base string, elem ...string) string {
	u, err := url.Parse(base)
	if err != nil {
		return path.Join(append([]string{base}, elem...)...)
	}
	u.Path = path.Join(append([]string{u.Path}, elem...)...)
	return u.String()
}

// Has reports whether the index lists version of the chart name (the same
// string, or the same SemVer version).
func (i *Index) Has(name, version string) bool {
	return i.find(name, version) != nil
}

func (i *Index) find(name, version string) *ChartVersion {
	want, werr := semver.NewVersion(version)
	for _, cv := range i.Entries[name] {
		if cv.Version == version {
			return cv
		}
		if werr == nil {
			if v, err := semver.NewVersion(cv.Version); err == nil && v.Equal(want) {
				return cv
			}
		}
	}
	return nil
}

// Merge adds to i the versions of other it does not list, as Helm's
// "repo index --merge" does: where both list a version, i's wins.
func (i *Index) Merge(other *Index) {
	if i.Entries == nil {
		i.Entries = map[string][]*ChartVersion{}
	}
	names := make([]string, 0, len(other.Entries))
	for n := range other.Entries {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		for _, cv := range other.Entries[n] {
			if !i.Has(cv.Name, cv.Version) {
				i.Entries[cv.Name] = append(i.Entries[cv.Name], cv)
			}
		}
	}
}

// IndexOptions are the flags of "repo index".
type IndexOptions struct {
	// URL is the repository's URL, joined to each archive's path (--url).
	URL string
	// Merge is an index.yaml to merge the directory's charts into
	// (--merge); a missing file counts as empty.
	Merge string
	// JSON writes the index as JSON rather than YAML (--json).
	JSON bool
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// GenerateIndex writes dir/index.yaml for the chart archives in dir, as
// "helm repo index DIR" does: IndexDirectory, then with opts.Merge the
// versions of that index the directory does not have (the directory's win),
// each chart's versions newest first. One thing differs from Helm: a
// version whose archive is unchanged (same digest as in the merged index)
// keeps its created time, where Helm stamps it anew; so indexing twice gives
// the same file. It returns the index written.
func GenerateIndex(ctx context.Context, dir string, opts IndexOptions) (*Index, error) {
	idx, err := IndexDirectory(ctx, dir, opts.URL, opts.Now)
	if err != nil {
		return nil, err
	}
	if opts.Merge != "" {
		data, err := os.ReadFile(opts.Merge)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("merge failed: %w", err)
		default:
			old, err := ParseIndex(data, opts.Merge)
			if err != nil {
				return nil, fmt.Errorf("merge failed: %w", err)
			}
			for _, cvs := range idx.Entries {
				for _, cv := range cvs {
					if prev := old.find(cv.Name, cv.Version); prev != nil && prev.Digest == cv.Digest && !prev.Created.IsZero() {
						cv.Created = prev.Created
					}
				}
			}
			idx.Merge(old)
			idx.Skipped = append(idx.Skipped, old.Skipped...)
		}
	}
	idx.SortEntries()
	out := filepath.Join(dir, "index.yaml")
	if opts.JSON {
		err = idx.WriteJSONFile(out)
	} else {
		err = idx.WriteFile(out)
	}
	if err != nil {
		return nil, err
	}
	return idx, nil
}

// WriteFile writes the index to path as Helm writes index.yaml (see
// Marshal), atomically, mode 0644.
func (i *Index) WriteFile(path string) error {
	b, err := i.Marshal()
	if err != nil {
		return fmt.Errorf("index %s: %w", path, err)
	}
	if err := writeFileAtomic(path, b, 0o644); err != nil {
		return fmt.Errorf("index %s: %w", path, err)
	}
	return nil
}

// WriteJSONFile writes the index to path as JSON, as Helm's --json does,
// atomically, mode 0644.
func (i *Index) WriteJSONFile(path string) error {
	out := *i
	if out.Entries == nil {
		out.Entries = map[string][]*ChartVersion{}
	}
	b, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return fmt.Errorf("index %s: %w", path, err)
	}
	if err := writeFileAtomic(path, b, 0o644); err != nil {
		return fmt.Errorf("index %s: %w", path, err)
	}
	return nil
}
