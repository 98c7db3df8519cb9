package charts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// MaxNameLength is the longest chart name Create accepts: the name becomes
// part of Kubernetes object names, which DNS limits to 63 characters.
const MaxNameLength = 63

// ErrBadName is returned, wrapped, for a chart name Create refuses.
var ErrBadName = errors.New("invalid chart name")

// ErrNotEmpty is returned, wrapped, when Create's target directory already
// holds files.
var ErrNotEmpty = errors.New("directory is not empty")

// nameRE is what the starter's templates need from a chart name: it becomes
// part of object names (a DNS label) and of template names.
var nameRE = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

// ValidateName reports whether name can name a chart made from Starter.
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("chart name is empty: %w", ErrBadName)
	case len(name) > MaxNameLength:
		return fmt.Errorf("chart name %q is %d characters long, the limit is %d: %w", name, len(name), MaxNameLength, ErrBadName)
	case !nameRE.MatchString(name):
		return fmt.Errorf("chart name %q: use lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (it becomes part of Kubernetes object names): %w", name, ErrBadName)
	}
	return nil
}

// Create writes the starter chart into the directory at path, naming the
// chart after path's last element, and returns that name. The directory is
// created if missing; an existing one must be empty. On failure Create
// removes what it wrote.
func Create(ctx context.Context, path string) (string, error) {
	name := filepath.Base(filepath.Clean(path))
	if err := ValidateName(name); err != nil {
		return "", err
	}
	created, err := prepareDir(path)
	if err != nil {
		return name, err
	}
	if err := writeStarter(ctx, path, name); err != nil {
		if created {
			_ = os.RemoveAll(path)
		}
		return name, err
	}
	return name, nil
}

// prepareDir makes sure path is an empty directory, and says whether it
// created it.
func prepareDir(path string) (created bool, err error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(path, 0o755); err != nil {
			return false, fmt.Errorf("%s: %w", path, err)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("%s: %w", path, err)
	case !fi.IsDir():
		return false, fmt.Errorf("%s already exists and is not a directory: choose another name", path)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	if len(entries) > 0 {
		return false, fmt.Errorf("%s already exists and holds %d entries (%s...): choose another name or remove it: %w",
			path, len(entries), entries[0].Name(), ErrNotEmpty)
	}
	return false, nil
}

func writeStarter(ctx context.Context, dir, name string) error {
	err := fs.WalkDir(Starter, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(strings.ReplaceAll(p, StarterPlaceholder, name)))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := fs.ReadFile(Starter, p)
		if err != nil {
			return err
		}
		data = []byte(strings.ReplaceAll(string(data), StarterPlaceholder, name))
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		return fmt.Errorf("chart %s: writing %s: %w", name, dir, err)
	}
	// Dependencies go in charts/; the starter has none but the directory is
	// part of a chart's layout.
	if err := os.MkdirAll(filepath.Join(dir, "charts"), 0o755); err != nil {
		return fmt.Errorf("chart %s: %w", name, err)
	}
	return nil
}
