package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"text/template"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
	goyaml "sigs.k8s.io/yaml/goyaml.v3"
)

// Markers around the messages of required and fail, so that the message can
// be taken out of the chain of template errors that wraps it, as Helm does.
const (
	errStart = "HELM_ERR_START"
	errEnd   = "HELM_ERR_END"
)

// staticFuncs returns the functions that do not depend on a render: sprig's
// (without env and expandenv, which would leak the environment) and Helm's
// conversion functions. include, tpl and lookup are placeholders here,
// replaced per render.
// parseNames returns the names of the functions templates may call, funcs'
// and text/template's built-in ones, for the parser, which checks that
// every function a template calls exists as Template.Parse does.
func parseNames(funcs template.FuncMap) map[string]any {
	names := make(map[string]any, len(funcs)+20)
	for k := range funcs {
		names[k] = true
	}
	for _, k := range []string{"and", "call", "html", "index", "slice", "js", "len", "not", "or",
		"print", "printf", "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne"} {
		names[k] = true
	}
	return names
}

func staticFuncs() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	extra := template.FuncMap{
		"toToml":        toTOML,
		"fromToml":      fromTOML,
		"toYaml":        toYAML,
		"mustToYaml":    mustToYAML,
		"toYamlPretty":  toYAMLPretty,
		"fromYaml":      fromYAML,
		"fromYamlArray": fromYAMLArray,
		"toJson":        toJSON,
		"mustToJson":    mustToJSON,
		"fromJson":      fromJSON,
		"fromJsonArray": fromJSONArray,
		"required":      required,
		"fail":          fail,
		"deepCopy":      deepCopy,
		"mustDeepCopy":  mustDeepCopy,
		// DNS lookups would make renders depend on the network.
		"getHostByName": func(string) string { return "" },

		"include": func(string, any) (string, error) { return "", errors.New("include: not bound to a render") },
		"tpl":     func(string, any) (string, error) { return "", errors.New("tpl: not bound to a render") },
		"lookup":  func(string, string, string, string) (map[string]any, error) { return map[string]any{}, nil },
	}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// required returns val, or an error with msg when val is nil or "".
func required(msg string, val any) (any, error) {
	if val == nil {
		return val, errors.New(errStart + msg + errEnd)
	}
	if s, ok := val.(string); ok && s == "" {
		return val, errors.New(errStart + msg + errEnd)
	}
	return val, nil
}

// fail always returns an error with msg.
func fail(msg string) (string, error) {
	return "", errors.New(errStart + msg + errEnd)
}

// toYAML returns v as YAML without its final newline, or "" if v cannot be
// marshalled.
func toYAML(v any) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

// mustToYAML is toYAML that returns the marshalling error.
func mustToYAML(v any) (string, error) {
	data, err := yaml.Marshal(v)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(data), "\n"), nil
}

// toYAMLPretty returns v as YAML indented by 2 with lists indented too.
func toYAMLPretty(v any) string {
	var buf bytes.Buffer
	enc := goyaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// fromYAML parses a YAML mapping; on error the map holds the message under
// "Error".
func fromYAML(s string) map[string]any {
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

// fromYAMLArray parses a YAML sequence; on error the list holds the message.
func fromYAMLArray(s string) []any {
	a := []any{}
	if err := yaml.Unmarshal([]byte(s), &a); err != nil {
		a = []any{err.Error()}
	}
	return a
}

// toTOML returns v as TOML, or the error message.
func toTOML(v any) string {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(v); err != nil {
		return err.Error()
	}
	return buf.String()
}

// fromTOML parses a TOML document; on error the map holds the message under
// "Error".
func fromTOML(s string) map[string]any {
	m := map[string]any{}
	if err := toml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

// toJSON returns v as compact JSON, or "" if v cannot be marshalled.
func toJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

// mustToJSON is toJSON that returns the marshalling error.
func mustToJSON(v any) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(data), nil
}

// fromJSON parses a JSON object; on error the map holds the message under
// "Error".
func fromJSON(s string) map[string]any {
	m := map[string]any{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

// fromJSONArray parses a JSON array; on error the list holds the message.
func fromJSONArray(s string) []any {
	a := []any{}
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		a = []any{err.Error()}
	}
	return a
}
