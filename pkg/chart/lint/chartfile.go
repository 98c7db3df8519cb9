package lint

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"

	"github.com/Masterminds/semver/v3"
	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// chartName is what Helm accepts as a chart's name.
var chartName = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// yamlLine finds "line N" in a YAML parser's error.
var yamlLine = regexp.MustCompile(`line (\d+)`)

// errorLine returns the line a YAML error names, 0 if none.
func errorLine(err error) int {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// mapping is a YAML mapping node's values by key.
type mapping map[string]*yaml.Node

// parseMapping parses data as a YAML document whose top is a mapping.
func parseMapping(data []byte) (mapping, *yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, err
	}
	if len(doc.Content) == 0 {
		return mapping{}, &doc, nil
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("line %d: the file is not a map of keys to values", top.Line)
	}
	return mappingOf(top), top, nil
}

// mappingOf returns the values of a mapping node by key.
func mappingOf(n *yaml.Node) mapping {
	m := make(mapping, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = n.Content[i+1]
	}
	return m
}

// str returns the value of key if it is a scalar, and its line.
func (m mapping) str(key string) (string, int) {
	n := m[key]
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", 0
	}
	return n.Value, n.Line
}

// goType names the Go type Helm's YAML reading gives a scalar node, as
// Helm's messages do.
func goType(n *yaml.Node) string {
	switch n.Tag {
	case "!!int":
		return "int"
	case "!!float":
		return "float64"
	case "!!bool":
		return "bool"
	case "!!str":
		return "string"
	case "!!null":
		return "<nil>"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "map[string]interface {}"
	case yaml.SequenceNode:
		return "[]interface {}"
	}
	return n.Tag
}

// checkChartfile runs the Chart.yaml rules on data, the file's content.
func checkChartfile(data []byte, found bool) []Finding {
	const file = "Chart.yaml"
	if !found {
		return []Finding{finding("chart-yaml", file, 0, "Chart.yaml is missing: a chart needs one, with at least apiVersion, name and version")}
	}
	m, _, err := parseMapping(data)
	if err != nil {
		// Helm's parser names the line at fault more precisely.
		var v any
		if serr := sigsyaml.Unmarshal(data, &v); serr != nil {
			err = serr
		}
		return []Finding{finding("chart-yaml", file, errorLine(err), "unable to parse YAML: %v", err)}
	}
	var out []Finding
	add := func(id string, line int, format string, args ...any) {
		out = append(out, finding(id, file, line, format, args...))
	}
	name, nameLine := m.str("name")
	switch {
	case name == "":
		add("chart-name", 0, "name is required")
	case !chartName.MatchString(name):
		add("chart-name", nameLine, "chart name %q is invalid: use letters, digits, '-', '_' and '.'", name)
	}
	apiVersion, apiLine := m.str("apiVersion")
	switch apiVersion {
	case "":
		add("chart-api-version", 0, `apiVersion is required. The value must be either "v1" or "v2"`)
	case "v1", "v2":
	default:
		add("chart-api-version", apiLine, `apiVersion '%s' is not valid. The value must be either "v1" or "v2"`, apiVersion)
	}
	for _, key := range []string{"version", "appVersion"} {
		if n := m[key]; n != nil && n.Tag != "!!str" && n.Tag != "!!null" {
			id := "chart-version"
			if key == "appVersion" {
				id = "chart-app-version"
			}
			add(id, n.Line, "%s should be of type string but it's of type %s; quote it: %s: %q", key, goType(n), key, n.Value)
		}
	}
	version, versionLine := m.str("version")
	if version == "" {
		add("chart-version", 0, "version is required")
	} else if _, err := semver.NewVersion(version); err != nil {
		add("chart-version", versionLine, "version '%s' is not a valid SemVer", version)
	}
	if n := m["maintainers"]; n != nil && n.Kind == yaml.SequenceNode {
		for _, e := range n.Content {
			checkMaintainer(e, add)
		}
	}
	if n := m["sources"]; n != nil && n.Kind == yaml.SequenceNode {
		for _, e := range n.Content {
			if !validURL(e.Value) {
				add("chart-sources", e.Line, "invalid source URL '%s'", e.Value)
			}
		}
	}
	icon, iconLine := m.str("icon")
	switch {
	case icon == "":
		add("chart-icon", 0, "icon is recommended")
	case !validURL(icon):
		add("chart-icon-url", iconLine, "invalid icon URL '%s'", icon)
	}
	if typ, line := m.str("type"); typ != "" {
		switch {
		case apiVersion == "v1":
			add("chart-type", line, "chart type is not valid in apiVersion 'v1'. It is valid in apiVersion 'v2'")
		case typ != "application" && typ != "library":
			add("chart-type", line, "chart type %q is not valid: use \"application\" or \"library\"", typ)
		}
	}
	if n := m["dependencies"]; n != nil && apiVersion == "v1" && len(n.Content) > 0 {
		add("chart-dependencies-v1", n.Line, "dependencies are not valid in the Chart file with apiVersion 'v1'. They are valid in apiVersion 'v2'")
	}
	if n := m["dependencies"]; n != nil && n.Kind == yaml.SequenceNode {
		checkDependencyNames(n, add)
	}
	return out
}

// checkDependencyNames finds dependencies that share a name or alias, which
// Helm's loader refuses.
func checkDependencyNames(deps *yaml.Node, add func(id string, line int, format string, args ...any)) {
	first := map[string]int{}
	for _, d := range deps.Content {
		if d.Kind != yaml.MappingNode {
			continue
		}
		m := mappingOf(d)
		name, line := m.str("alias")
		if name == "" {
			name, line = m.str("name")
		}
		if name == "" {
			continue
		}
		if at, dup := first[name]; dup {
			add("dependency-duplicate", line, "multiple dependencies with name or alias: %s (line %d and line %d); give one of them another alias", name, at, line)
			continue
		}
		first[name] = line
	}
}

// checkMaintainer checks one entry of maintainers.
func checkMaintainer(e *yaml.Node, add func(id string, line int, format string, args ...any)) {
	if e.Kind != yaml.MappingNode || len(e.Content) == 0 {
		add("chart-maintainers", e.Line, "a maintainer entry is empty")
		return
	}
	m := mappingOf(e)
	name, _ := m.str("name")
	if name == "" {
		add("chart-maintainers", e.Line, "each maintainer requires a name")
		return
	}
	if email, line := m.str("email"); email != "" {
		if _, err := mail.ParseAddress(email); err != nil {
			add("chart-maintainers", line, "invalid email '%s' for maintainer '%s'", email, name)
		}
	}
	if u, line := m.str("url"); u != "" && !validURL(u) {
		add("chart-maintainers", line, "invalid url '%s' for maintainer '%s'", u, name)
	}
}

// validURL reports whether s is an absolute URL with a scheme, as Helm's
// check requires.
func validURL(s string) bool {
	u, err := url.ParseRequestURI(s)
	return err == nil && u.Scheme != ""
}
