package plugin

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// DuplicateError is two plugins with one name. The first found (in the
// order of the plugins directories, then of the directory names) is the
// one used.
type DuplicateError struct {
	Name string
	// Used and Ignored are the two plugins' directories.
	Used, Ignored string
}

// Error names both directories and the fix.
func (e *DuplicateError) Error() string {
	return fmt.Sprintf("two plugins claim the name %q, at %s and %s; %s is ignored: uninstall one of them", e.Name, e.Used, e.Ignored, e.Ignored)
}

// FindAll loads the plugins in dirs: each directory's subdirectories that
// hold a plugin.yaml, one level deep, as Helm looks for them. A missing
// directory holds no plugins. It returns every plugin that loads, with
// unique names, and an error (errors.Join of *LoadError and
// *DuplicateError values) for those that do not: one bad plugin does not
// hide the others.
func FindAll(dirs []string) ([]*Plugin, error) {
	var (
		found []*Plugin
		errs  []error
		seen  = map[string]string{}
	)
	for _, base := range dirs {
		entries, err := os.ReadDir(base)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("plugins directory %s: %w", base, err))
			}
			continue
		}
		names := make([]string, 0, len(entries))
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, n := range names {
			dir := filepath.Join(base, n)
			if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
				continue // not a plugin (nor a directory)
			}
			p, err := Load(dir)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if used, ok := seen[p.Name]; ok {
				errs = append(errs, &DuplicateError{Name: p.Name, Used: used, Ignored: dir})
				continue
			}
			seen[p.Name] = dir
			found = append(found, p)
		}
	}
	return found, errors.Join(errs...)
}

// Find returns the plugin called name among plugins, or nil.
func Find(plugins []*Plugin, name string) *Plugin {
	for _, p := range plugins {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// ByProtocol returns, for each URL scheme the plugins' downloaders
// declare, the plugin that serves it: the first plugin to declare it.
func ByProtocol(plugins []*Plugin) map[string]*Plugin {
	m := map[string]*Plugin{}
	for _, p := range plugins {
		if p.Runtime != RuntimeSubprocess {
			continue
		}
		for _, proto := range p.Protocols() {
			if _, ok := m[proto]; !ok {
				m[proto] = p
			}
		}
	}
	return m
}
