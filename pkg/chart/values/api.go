package values

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

// Options are the values flags of template, install and upgrade.
type Options struct {
	ValueFiles    []string // -f/--values; "-" reads stdin
	Values        []string // --set
	StringValues  []string // --set-string
	FileValues    []string // --set-file
	JSONValues    []string // --set-json
	LiteralValues []string // --set-literal

	// Fetch reads a values file (or --set-file path) named by a URL,
	// SCHEME://...: https://host/values.yaml, or the scheme of a Helm
	// downloader plugin (secrets://values.yaml). MergeContext calls it;
	// nil refuses such names. Its errors should name the URL.
	Fetch func(ctx context.Context, url string) ([]byte, error)
}

// IsURL reports whether name is a URL rather than a path: SCHEME://...,
// with a scheme of two characters or more (so that C:\dir is a path).
func IsURL(name string) bool {
	u, err := url.Parse(name)
	return err == nil && len(u.Scheme) > 1 && strings.Contains(name, "://")
}

// Merge is MergeContext without Fetch: values files named by a URL are
// refused.
func (o Options) Merge(stdin io.Reader) (map[string]any, error) {
	return o.merge(stdin, nil)
}

// MergeContext reads and merges the values flags in Helm's order and
// precedence, returning the user-supplied values ("config"): the values
// files in order (maps merged, later files winning), then --set-json,
// --set, --set-string, --set-file and --set-literal, each overriding what
// came before. stdin is read for a values file or --set-file path of "-";
// it may be nil if neither is used. A name that is a URL (see IsURL) is
// read with Fetch, given ctx; without Fetch it is refused.
//
// MergeContext fails on the first flag or file that does not parse. Its
// errors name the flag, with the argument's keys but its values masked
// (see Masked), or the file and line, without quoting the file's content.
func (o Options) MergeContext(ctx context.Context, stdin io.Reader) (map[string]any, error) {
	var fetch func(string) ([]byte, error)
	if o.Fetch != nil {
		fetch = func(u string) ([]byte, error) { return o.Fetch(ctx, u) }
	}
	return o.merge(stdin, fetch)
}

// merge is MergeContext with fetch reading URLs (nil refuses them).
func (o Options) merge(stdin io.Reader, fetch func(string) ([]byte, error)) (map[string]any, error) {
	read := func(path string) ([]byte, error) {
		if strings.TrimSpace(path) == "-" {
			if stdin == nil {
				return nil, fmt.Errorf("%q: no standard input to read", path)
			}
			return io.ReadAll(stdin)
		}
		if IsURL(path) {
			if fetch == nil {
				return nil, fmt.Errorf("%s: remote values files are not supported here; download it and pass the local path", path)
			}
			return fetch(path)
		}
		return os.ReadFile(path)
	}

	base := map[string]any{}
	for _, path := range o.ValueFiles {
		data, err := read(path)
		if err != nil {
			return nil, fmt.Errorf("values file %w", err)
		}
		m, err := parseYAML(path, data)
		if err != nil {
			return nil, err
		}
		base = mergeMaps(base, m)
	}
	for _, s := range o.JSONValues {
		if err := ParseSetJSON(s, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set-json data %s: %w", maskArg(s, false), err)
		}
	}
	for _, s := range o.Values {
		if err := ParseSet(s, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set data %q: %w", maskArg(s, false), err)
		}
	}
	for _, s := range o.StringValues {
		if err := ParseSetString(s, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set-string data %q: %w", maskArg(s, false), err)
		}
	}
	for _, s := range o.FileValues {
		// The values of --set-file are paths, shown; the files' contents are not.
		if err := ParseSetFile(s, base, read); err != nil {
			return nil, fmt.Errorf("failed parsing --set-file data %q: %w", s, err)
		}
	}
	for _, s := range o.LiteralValues {
		if err := ParseSetLiteral(s, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set-literal data %q: %w", maskArg(s, true), err)
		}
	}
	return base, nil
}

// mergeMaps returns a new map of a with b laid over it: maps present in both
// are merged recursively, anything else in b (null included) replaces a's.
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = mergeMaps(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// ReadFile parses one values file (YAML), returning errors that name the
// file and line. An empty file gives an empty map. Numbers are float64, as
// in Helm.
func ReadFile(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("values file %w", err)
	}
	return parseYAML(path, data)
}

// Parse parses the content of a values file (YAML) as ReadFile does; name
// is the file's name in errors.
func Parse(name string, data []byte) (map[string]any, error) { return parseYAML(name, data) }

func parseYAML(path string, data []byte) (map[string]any, error) {
	m := map[string]any{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		// The parser's message may quote the document: mask it.
		return nil, fmt.Errorf("failed to parse %s: %s", path, maskYAMLError(err.Error()))
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// ParseSet parses one --set argument (name1=value1,name2=value2 with
// a.b=c, a[0].b=x, a={x,y}, a\.b=c) into dest. true, false and null
// (in any case) and decimal integers become bool, nil and int64.
func ParseSet(s string, dest map[string]any) error {
	p := parser{sc: scanner{s: s}, mode: modeTyped}
	return p.parse(dest)
}

// ParseSetString is ParseSet keeping every value a string (--set-string).
func ParseSetString(s string, dest map[string]any) error {
	p := parser{sc: scanner{s: s}, mode: modeString}
	return p.parse(dest)
}

// ParseSetJSON parses one --set-json argument (key1=jsonval1,key2=jsonval2)
// into dest; an empty value is null. JSON numbers become float64.
func ParseSetJSON(s string, dest map[string]any) error {
	p := parser{sc: scanner{s: s}, mode: modeJSON}
	return p.parse(dest)
}

// ParseSetLiteral parses one --set-literal argument into dest: everything
// after the first '=' is the string value, commas and backslashes included.
func ParseSetLiteral(s string, dest map[string]any) error {
	p := parser{sc: scanner{s: s}, literal: true}
	return p.parse(dest)
}

// ParseSetFile parses one --set-file argument (name1=path1,name2=path2) into
// dest; each value is the content of the file at its path, read with
// readFile, as a string.
func ParseSetFile(s string, dest map[string]any, readFile func(path string) ([]byte, error)) error {
	p := parser{sc: scanner{s: s}, mode: modeFile, readFile: readFile}
	return p.parse(dest)
}
