package archive

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// Load reads the chart archive r as Read does and loads the chart in it with
// Helm's loader.LoadFiles. An archive Read refuses, or whose chart Helm's
// loader refuses (a missing or invalid Chart.yaml, a values.yaml that does not
// parse, a broken subchart), is reported as an *Error naming the archive
// (name, a path or URL) and, where it can tell, the file at fault.
//
// Helm's loader reads subchart archives under charts/ itself, with its own
// limits (5 MiB a file, 100 MiB in all) and checks, after Read has checked
// them with lim: a subchart that passes lim but not Helm's limits, when lim
// is raised above them, is refused by Helm's loader.
func Load(r io.Reader, name string, lim Limits) (*chart.Chart, error) {
	files, top, err := read(r, name, lim)
	if err != nil {
		return nil, err
	}
	ch, err := loadFiles(files)
	if err != nil {
		return nil, loadError(name, top, err)
	}
	return ch, nil
}

// LoadFile loads the chart archive at path, as Load does. An archive file
// larger than lim.MaxArchive is refused before it is read.
func LoadFile(path string, lim Limits) (*chart.Chart, error) {
	return LoadFileAs(path, path, lim)
}

// LoadFileAs is LoadFile for an archive known to users by another name
// than its path (the URL a cached download came from): errors name it so.
func LoadFileAs(path, name string, lim Limits) (*chart.Chart, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("chart archive %s: %w; check the path", name, err)
		}
		return nil, fmt.Errorf("chart archive %s: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("chart archive %s: %w", name, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("chart archive %s: is a directory; pass a .tgz file, or load a chart directory with loader.LoadDir", name)
	}
	lim = lim.orDefaults()
	if fi.Mode().IsRegular() && fi.Size() > lim.MaxArchive {
		return nil, &Error{Archive: name, Reason: fmt.Sprintf("the archive is %d bytes, over the limit of %d (MaxArchive); a chart this large could not be installed (release records are limited to a few MiB); if you mean only to unpack it, raise the limit", fi.Size(), lim.MaxArchive), Err: errArchiveTooBig}
	}
	return Load(f, name, lim)
}

// loadFiles is loader.LoadFiles, turning a panic into an error: the files
// come from an untrusted archive, and a bug in Helm's loader must not take
// down a process that loads many charts.
func loadFiles(files []*loader.BufferedFile) (ch *chart.Chart, err error) {
	defer func() {
		if p := recover(); p != nil {
			ch, err = nil, fmt.Errorf("the chart loader panicked, a bug in Helm: %v", p)
		}
	}()
	return loader.LoadFiles(files)
}

// loadError turns an error of Helm's loader into an *Error, naming the file
// at fault where the message tells which. top is the chart's directory in
// the archive.
func loadError(name, top string, err error) *Error {
	msg := err.Error()
	entry := ""
	fix := "fix the chart and " + fixRepackage
	switch {
	case msg == "Chart.yaml file is missing":
		return &Error{Archive: name, Entry: top + "/Chart.yaml", Reason: fmt.Sprintf("the archive has no Chart.yaml in the chart's directory %q, so it holds no chart; %s", top+"/", fixRepackage), Err: err}
	case strings.HasPrefix(msg, "validation: "):
		entry = "Chart.yaml"
		fix = "fix Chart.yaml and " + fixRepackage
	case strings.HasPrefix(msg, "cannot load "):
		// "cannot load values.yaml: ...", and the same for Chart.yaml,
		// Chart.lock, requirements.yaml and requirements.lock.
		file, _, _ := strings.Cut(strings.TrimPrefix(msg, "cannot load "), ":")
		entry = file
		fix = "fix " + file + " and " + fixRepackage
	case strings.HasPrefix(msg, "error unpacking subchart "):
		// "error unpacking subchart NAME in PARENT: ..."
		sub, _, _ := strings.Cut(strings.TrimPrefix(msg, "error unpacking subchart "), " ")
		entry = "charts/" + sub
		fix = "fix the subchart, or run `barge dependency build` to fetch it again, and " + fixRepackage
	}
	if entry != "" {
		entry = top + "/" + entry
	}
	return &Error{Archive: name, Entry: entry, Reason: fmt.Sprintf("Helm's loader refuses the chart: %s; %s", msg, fix), Err: err}
}
