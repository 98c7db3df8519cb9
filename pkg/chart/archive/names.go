package archive

import (
	"fmt"
	"path/filepath"
	"strings"
)

// maxNameLen bounds an entry's name, in bytes: Linux's PATH_MAX. Longer
// names could not be unpacked, and bounding them bounds the work of checking
// them.
const maxNameLen = 4096

// maxDepth bounds the number of components in an entry's name. Helm has no
// such limit, but no chart comes near it (charts/a/charts/b/templates/x.yaml
// is six), and unpacking a deep path costs a system call a level, for each
// file: an archive of many files thousands of levels deep would take Untar
// many minutes.
const maxDepth = 64

// The fixes that end most reasons.
const (
	fixRepackage = "repackage the chart with `barge package` (or `helm package`)"
	fixUnsafe    = "the archive was not made by `barge package` or `helm package` and is unsafe to unpack: do not use it, and get the chart again from a source you trust"
	fixDownload  = "download the archive again"
)

// checkName checks that name, an entry's name as the archive spells it, is a
// clean relative path with "/" as its only separator, and splits it into its
// components. dir says the entry is a directory, whose name may end in "/".
// It returns the reason the name is refused, or "".
func checkName(name string, dir bool) ([]string, string) {
	switch {
	case name == "":
		return nil, "the entry has no name; " + fixRepackage
	case len(name) > maxNameLen:
		return nil, fmt.Sprintf("the name is %d bytes long, over the %d bytes a path may have; %s", len(name), maxNameLen, fixRepackage)
	case strings.IndexByte(name, 0) >= 0:
		return nil, "the name holds a NUL byte; " + fixUnsafe
	case strings.IndexByte(name, '\\') >= 0:
		return nil, "the name holds a backslash, which Windows reads as a path separator, and chart archives separate paths with \"/\" only; " + fixRepackage
	case strings.HasPrefix(name, "/"):
		return nil, "the path is absolute; entries must lie inside the chart's directory, as mychart/templates/service.yaml does; " + fixUnsafe
	}
	if dir {
		name = strings.TrimSuffix(name, "/")
	}
	parts := strings.Split(name, "/")
	if len(parts) > maxDepth {
		return nil, fmt.Sprintf("the path is %d levels deep, over the %d allowed; %s", len(parts), maxDepth, fixRepackage)
	}
	for _, p := range parts {
		if p == ".." {
			return nil, "the path climbs out of its directory with \"..\"; " + fixUnsafe
		}
	}
	for _, p := range parts {
		if isDriveLetter(p) {
			return nil, fmt.Sprintf("the path holds a Windows drive letter (%q); %s", p[:2], fixUnsafe)
		}
		if p == "" || p == "." {
			return nil, "the path has an empty or \".\" component, where chart archives hold clean paths such as mychart/templates/service.yaml; " + fixRepackage
		}
	}
	return parts, ""
}

// isDriveLetter reports whether p starts as a Windows drive does, "C:".
func isDriveLetter(p string) bool {
	return len(p) >= 2 && p[1] == ':' && ('a' <= p[0] && p[0] <= 'z' || 'A' <= p[0] && p[0] <= 'Z')
}

// checkChartName returns the reason name cannot name a chart's directory,
// or "": it must be one clean path component.
func checkChartName(name string) string {
	if name == "" {
		return "Chart.yaml gives the chart no name; set name: in Chart.yaml"
	}
	parts, reason := checkName(name, false)
	if reason == "" && len(parts) != 1 {
		reason = "the name holds a \"/\""
	}
	if reason == "" && filepath.Base(name) != name {
		reason = "the name is not a single path component"
	}
	if reason != "" {
		return fmt.Sprintf("the chart's name %q cannot name a directory: %s", name, reason)
	}
	return ""
}

// tree records the paths an archive holds, relative to the chart's
// directory, to refuse entries that appear twice or that are both a file and
// a directory.
type tree struct {
	kind     map[string]bool // true for a file, false for a directory
	explicit map[string]bool // directories with an entry of their own
}

func newTree() *tree {
	return &tree{kind: map[string]bool{}, explicit: map[string]bool{}}
}

// addParents records the directories above rel, returning the reason rel is
// refused, or "".
func (t *tree) addParents(rel string) string {
	for i := 0; i < len(rel); i++ {
		if rel[i] != '/' {
			continue
		}
		p := rel[:i]
		if t.kind[p] {
			return fmt.Sprintf("the archive also holds %q as a file, so the path cannot be inside it; %s", p, fixRepackage)
		}
		t.kind[p] = false
	}
	return ""
}

// addFile records the file rel, returning the reason it is refused, or "".
func (t *tree) addFile(rel string) string {
	if isFile, ok := t.kind[rel]; ok {
		if isFile {
			return "the archive holds this file twice, and Helm would silently keep the last copy; " + fixRepackage
		}
		return "the archive also holds this path as a directory; " + fixRepackage
	}
	if reason := t.addParents(rel); reason != "" {
		return reason
	}
	t.kind[rel] = true
	return ""
}

// addDir records the directory rel, returning the reason it is refused, or
// "". The chart's directory itself is rel "".
func (t *tree) addDir(rel string) string {
	if t.explicit[rel] {
		return "the archive holds this directory twice; " + fixRepackage
	}
	t.explicit[rel] = true
	if rel == "" {
		return ""
	}
	if t.kind[rel] {
		return "the archive also holds this path as a file; " + fixRepackage
	}
	if reason := t.addParents(rel); reason != "" {
		return reason
	}
	t.kind[rel] = false
	return ""
}
