package archive

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"
)

// modTime is the modification time of every entry Write writes: fixed, so
// that the same chart always makes the same archive.
var modTime = time.Unix(0, 0)

// Write writes ch as a chart archive to w: a gzipped tar holding each of
// ch.Raw's files (every file the chart was loaded from, subcharts under
// charts/ included) as a regular file under NAME/, NAME being the chart's
// name, with mode 0644 and a fixed modification time, Chart.yaml first and
// the others sorted by name. The same chart always makes the same bytes.
//
// Write writes the files as they are, Chart.yaml included: a caller that
// changes ch.Metadata must change Chart.yaml in ch.Raw to match. Like Helm,
// it first validates the chart's metadata and checks that every
// values.schema.json, the subcharts' included, is valid JSON; it also
// refuses file names that Read would refuse, so that what it writes can
// always be read back.
func Write(w io.Writer, ch *chart.Chart) error {
	if ch == nil || ch.Metadata == nil {
		return errors.New("write chart archive: the chart has no metadata (Chart.yaml)")
	}
	if err := ch.Validate(); err != nil {
		return fmt.Errorf("write chart archive %s: chart validation: %w", ch.Name(), err)
	}
	name := ch.Name()
	if reason := checkChartName(name); reason != "" {
		return fmt.Errorf("write chart archive %s: %s", name, reason)
	}
	if err := checkSchemas(ch); err != nil {
		return fmt.Errorf("write chart archive %s: %w", name, err)
	}
	files, err := sortedRaw(ch)
	if err != nil {
		return fmt.Errorf("write chart archive %s: %w", name, err)
	}

	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		hd := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     name + "/" + f.Name,
			Mode:     0o644,
			Size:     int64(len(f.Data)),
			ModTime:  modTime,
		}
		if err := tw.WriteHeader(hd); err != nil {
			return fmt.Errorf("write chart archive %s: %s: %w", name, f.Name, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return fmt.Errorf("write chart archive %s: %s: %w", name, f.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("write chart archive %s: %w", name, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write chart archive %s: %w", name, err)
	}
	return nil
}

// checkSchemas returns an error if the values.schema.json of ch or of any of
// its subcharts is not valid JSON, as `helm package` does.
func checkSchemas(ch *chart.Chart) error {
	if ch.Schema != nil && !json.Valid(ch.Schema) {
		return fmt.Errorf("chart %s: invalid JSON in values.schema.json; fix the file", ch.ChartFullPath())
	}
	for _, dep := range ch.Dependencies() {
		if err := checkSchemas(dep); err != nil {
			return err
		}
	}
	return nil
}

// sortedRaw returns ch.Raw checked and sorted as Write writes it.
func sortedRaw(ch *chart.Chart) ([]*chart.File, error) {
	files := slices.Clone(ch.Raw)
	names := newTree()
	hasChartYAML := false
	for _, f := range files {
		if f == nil {
			return nil, errors.New("the chart's raw files include a nil file")
		}
		if _, reason := checkName(ch.Name()+"/"+f.Name, false); reason != "" {
			return nil, fmt.Errorf("file %q: %s", f.Name, reason)
		}
		if reason := names.addFile(f.Name); reason != "" {
			return nil, fmt.Errorf("file %q: %s", f.Name, reason)
		}
		hasChartYAML = hasChartYAML || f.Name == "Chart.yaml"
	}
	if !hasChartYAML {
		return nil, errors.New("the chart's raw files (ch.Raw) hold no Chart.yaml; Write writes a chart loaded from files")
	}
	slices.SortFunc(files, func(a, b *chart.File) int {
		switch {
		case a.Name == b.Name:
			return 0
		case a.Name == "Chart.yaml":
			return -1
		case b.Name == "Chart.yaml":
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return files, nil
}

// PackageOptions are the options of Package, those of `helm package` that
// change the chart.
type PackageOptions struct {
	// Version, if set, replaces the chart's version, as --version does. It
	// must be a semantic version, as the version in Chart.yaml must.
	Version string
	// AppVersion, if set, replaces the chart's appVersion, as --app-version
	// does.
	AppVersion string
}

// Package packages the chart directory dir as `helm package` does and
// returns the path of the archive it writes, destDir/NAME-VERSION.tgz,
// creating destDir if need be and replacing an archive already there.
//
// It loads dir with Helm's loader.LoadDir, which honours .helmignore and
// follows symbolic links, and makes the checks `helm package` makes, with
// its words: Chart.yaml must be valid and the version a semantic version
// (as Masterminds/semver parses them, which also accepts "1.2" and
// "v1.2.3"), every dependency listed in Chart.yaml must be present under
// charts/, and each values.schema.json must be valid JSON. Library charts are
// packaged like any other.
//
// Unlike `helm package`, which rewrites Chart.yaml from the parsed metadata
// and unpacks subchart archives, Package writes every file as it is in dir
// (see Write). When opts replaces the version or appVersion, only that line
// of Chart.yaml changes, so comments and layout stay; when Chart.yaml is laid
// out so that the line cannot be changed safely, it is rewritten from the
// metadata, as Helm does. The archive is written to a temporary file in
// destDir and renamed into place, so a failed Package leaves no partial
// archive.
func Package(dir, destDir string, opts PackageOptions) (path string, err error) {
	ch, err := loader.LoadDir(dir)
	if err != nil {
		return "", fmt.Errorf("package %s: %w", dir, err)
	}
	if opts.Version != "" {
		ch.Metadata.Version = opts.Version
	}
	if _, err := semver.NewVersion(ch.Metadata.Version); err != nil {
		return "", fmt.Errorf("package %s: version %q: %w; a chart's version is a semantic version such as 1.2.3", dir, ch.Metadata.Version, err)
	}
	if opts.AppVersion != "" {
		ch.Metadata.AppVersion = opts.AppVersion
	}
	if err := checkDependencies(ch); err != nil {
		return "", fmt.Errorf("package %s: %w", dir, err)
	}
	if opts.Version != "" || opts.AppVersion != "" {
		if err := overrideChartYAML(ch, opts); err != nil {
			return "", fmt.Errorf("package %s: %w", dir, err)
		}
	}

	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return "", fmt.Errorf("package %s: %w", dir, err)
	}
	base := fmt.Sprintf("%s-%s.tgz", ch.Name(), ch.Metadata.Version)
	final := filepath.Join(destDir, base)
	tmp, err := os.CreateTemp(destDir, "."+base+".*")
	if err != nil {
		return "", fmt.Errorf("package %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriter(tmp)
	if err := Write(bw, ch); err != nil {
		return "", fmt.Errorf("package %s: %w", dir, err)
	}
	if err := bw.Flush(); err != nil {
		return "", fmt.Errorf("package %s: %w", dir, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return "", fmt.Errorf("package %s: %w", dir, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("package %s: %w", dir, err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", fmt.Errorf("package %s: %w", dir, err)
	}
	return final, nil
}

// checkDependencies returns an error naming each dependency listed in
// Chart.yaml that is missing from charts/, in the words of `helm package`.
func checkDependencies(ch *chart.Chart) error {
	var missing []string
	for _, d := range ch.Metadata.Dependencies {
		if d == nil || slices.ContainsFunc(ch.Dependencies(), func(sub *chart.Chart) bool { return sub.Name() == d.Name }) {
			continue
		}
		missing = append(missing, d.Name)
	}
	if len(missing) > 0 {
		return fmt.Errorf("found in Chart.yaml, but missing in charts/ directory: %s; run `barge dependency build` to fetch them", strings.Join(missing, ", "))
	}
	return nil
}

// overrideChartYAML replaces Chart.yaml in ch.Raw with one that gives the
// version and appVersion opts sets, which ch.Metadata already holds.
func overrideChartYAML(ch *chart.Chart, opts PackageOptions) error {
	i := slices.IndexFunc(ch.Raw, func(f *chart.File) bool { return f.Name == "Chart.yaml" })
	if i < 0 {
		return errors.New("the chart has no Chart.yaml among its files")
	}
	orig := ch.Raw[i].Data
	set := map[string]string{}
	data := orig
	if opts.Version != "" {
		set["version"] = opts.Version
		data = setTopLevelKey(data, "version", opts.Version)
	}
	if opts.AppVersion != "" {
		set["appVersion"] = opts.AppVersion
		data = setTopLevelKey(data, "appVersion", opts.AppVersion)
	}
	if data == nil || !sameBut(orig, data, set) {
		// The lines could not be changed safely: write the metadata
		// instead, as Helm does. For apiVersion v1 charts the dependencies
		// belong in requirements.yaml, not Chart.yaml.
		md := *ch.Metadata
		if md.APIVersion == chart.APIVersionV1 {
			md.Dependencies = nil
		}
		var err error
		if data, err = yaml.Marshal(&md); err != nil {
			return fmt.Errorf("writing Chart.yaml: %w", err)
		}
	}
	raw := slices.Clone(ch.Raw)
	raw[i] = &chart.File{Name: "Chart.yaml", Data: data}
	ch.Raw = raw
	return nil
}

// setTopLevelKey returns the YAML document doc with the top-level key set to
// the string value: the line "key: ..." is replaced, or one is added at the
// end. It returns nil when the key starts more than one line. The result
// must be checked with sameBut: a value spread over several lines, or a
// document not laid out in block style, comes out wrong.
func setTopLevelKey(doc []byte, key, value string) []byte {
	if doc == nil {
		return nil
	}
	quoted, _ := json.Marshal(value) // a JSON string is a YAML double-quoted scalar
	lines := strings.SplitAfter(string(doc), "\n")
	found := -1
	for i, l := range lines {
		if strings.HasPrefix(l, key+":") {
			if found >= 0 {
				return nil
			}
			found = i
		}
	}
	if found >= 0 {
		eol := ""
		switch l := lines[found]; {
		case strings.HasSuffix(l, "\r\n"):
			eol = "\r\n"
		case strings.HasSuffix(l, "\n"):
			eol = "\n"
		}
		lines[found] = key + ": " + string(quoted) + eol
		return []byte(strings.Join(lines, ""))
	}
	out := string(doc)
	eol := "\n"
	if strings.Contains(out, "\r\n") {
		eol = "\r\n"
	}
	if out != "" && !strings.HasSuffix(out, "\n") {
		out += eol
	}
	return []byte(out + key + ": " + string(quoted) + eol)
}

// sameBut reports whether the YAML documents a and b mean the same, but for
// the top-level keys in set, which b must give as set says.
func sameBut(a, b []byte, set map[string]string) bool {
	var am, bm map[string]any
	if yaml.Unmarshal(a, &am) != nil || yaml.Unmarshal(b, &bm) != nil || bm == nil {
		return false
	}
	if am == nil {
		am = map[string]any{}
	}
	for k, v := range set {
		am[k] = v
	}
	return reflect.DeepEqual(am, bm)
}
