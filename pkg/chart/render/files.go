package render

import (
	"encoding/base64"
	"path"
	"strings"

	"github.com/gobwas/glob"
	helmchart "helm.sh/helm/v3/pkg/chart"
)

// Files is a chart's non-template files by name, as templates see them in
// .Files.
type Files map[string][]byte

func newFiles(from []*helmchart.File) Files {
	f := make(Files, len(from))
	for _, file := range from {
		f[file.Name] = file.Data
	}
	return f
}

// GetBytes returns the content of the file name, or an empty slice.
func (f Files) GetBytes(name string) []byte {
	if v, ok := f[name]; ok {
		return v
	}
	return []byte{}
}

// Get returns the content of the file name as a string, or "".
func (f Files) Get(name string) string { return string(f.GetBytes(name)) }

// Glob returns the files whose names match pattern, where * does not cross
// "/" and ** does. An invalid pattern matches every file, as in Helm.
func (f Files) Glob(pattern string) Files {
	g, err := glob.Compile(pattern, '/')
	if err != nil {
		g, _ = glob.Compile("**")
	}
	out := make(Files)
	for name, data := range f {
		if g.Match(name) {
			out[name] = data
		}
	}
	return out
}

// AsConfig returns the files as the YAML body of a ConfigMap's data: base
// names as keys, contents as values.
func (f Files) AsConfig() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string, len(f))
	for k, v := range f {
		m[path.Base(k)] = string(v)
	}
	return toYAML(m)
}

// AsSecrets returns the files as the YAML body of a Secret's data: base names
// as keys, base64 contents as values.
func (f Files) AsSecrets() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string, len(f))
	for k, v := range f {
		m[path.Base(k)] = base64.StdEncoding.EncodeToString(v)
	}
	return toYAML(m)
}

// Lines returns the lines of the file name, without a final empty line.
func (f Files) Lines(name string) []string {
	if f == nil || len(f[name]) == 0 {
		return []string{}
	}
	s := string(f[name])
	s = strings.TrimSuffix(s, "\n")
	return strings.Split(s, "\n")
}
