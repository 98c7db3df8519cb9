package plugin

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Limits bound what a plugin archive may unpack to. A zero field takes
// the default below.
type Limits struct {
	// MaxSize bounds the total size of the unpacked files.
	MaxSize int64
	// MaxEntries bounds the number of entries.
	MaxEntries int
}

// Default archive limits.
const (
	DefaultMaxSize    int64 = 512 << 20
	DefaultMaxEntries       = 10000
)

func (l Limits) orDefaults() Limits {
	if l.MaxSize <= 0 {
		l.MaxSize = DefaultMaxSize
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	return l
}

// ErrBadArchive is wrapped by the errors of an archive that is refused.
var ErrBadArchive = errors.New("bad plugin archive")

// untar unpacks the gzipped tar r (named name in messages) into the
// existing, empty directory dest. Everything in it is untrusted: only
// regular files and directories are kept, each path must stay inside
// dest (no "..", no absolute path, no backslash, no NUL), and lim bounds
// the entries and the bytes written. File modes keep only whether the
// file is executable.
func untar(r io.Reader, name, dest string, lim Limits) error {
	lim = lim.orDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %w: %s", name, ErrBadArchive, fmt.Sprintf(format, args...))
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return bad("not a gzipped tar archive (%v); plugin archives are .tgz or .tar.gz", err)
	}
	tr := tar.NewReader(zr)
	var total int64
	for n := 0; ; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return bad("%v", err)
		}
		if n >= lim.MaxEntries {
			return bad("more than %d entries", lim.MaxEntries)
		}
		switch h.Typeflag {
		case tar.TypeXGlobalHeader:
			continue
		case tar.TypeDir, tar.TypeReg:
		case tar.TypeSymlink, tar.TypeLink:
			return bad("entry %q is a link; barge unpacks only files and directories from a plugin archive", h.Name)
		default:
			return bad("entry %q is not a file nor a directory (type %q)", h.Name, h.Typeflag)
		}
		rel, err := cleanEntry(h.Name)
		if err != nil {
			return bad("entry %q: %v", h.Name, err)
		}
		if rel == "" {
			continue // "./"
		}
		target := filepath.Join(dest, filepath.FromSlash(rel))
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			continue
		}
		if h.Size > lim.MaxSize-total {
			return bad("the files unpack to more than %d bytes", lim.MaxSize)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		mode := os.FileMode(0o644)
		if h.Mode&0o111 != 0 {
			mode = 0o755
		}
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				return bad("entry %q appears twice", h.Name)
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		w, err := io.Copy(f, io.LimitReader(tr, lim.MaxSize-total+1))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return bad("entry %q: %v", h.Name, err)
		}
		total += w
		if total > lim.MaxSize {
			return bad("the files unpack to more than %d bytes", lim.MaxSize)
		}
	}
}

// cleanEntry checks an archive entry's name and returns it clean and
// relative, with slashes ("" for the top directory itself).
func cleanEntry(name string) (string, error) {
	switch {
	case strings.ContainsRune(name, 0):
		return "", errors.New("NUL in the name")
	case strings.Contains(name, `\`):
		return "", errors.New("backslash in the name")
	case strings.HasPrefix(name, "/"):
		return "", errors.New("absolute path")
	case len(name) >= 2 && name[1] == ':':
		return "", errors.New("drive letter in the name")
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", errors.New(`".." in the path`)
		}
	}
	c := path.Clean(name)
	if c == "." {
		return "", nil
	}
	return c, nil
}
