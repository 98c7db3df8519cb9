package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/bargehq/barge/pkg/kubeschema/wire"
)

// swaggerDoc is the part of an OpenAPI v2 document that validation needs.
type swaggerDoc struct {
	Definitions map[string]*swaggerSchema `json:"definitions"`
}

// swaggerSchema is one schema of swagger.json; descriptions and the
// x-kubernetes-* extensions that do not affect validation are not decoded.
type swaggerSchema struct {
	Ref                  string                    `json:"$ref"`
	Type                 string                    `json:"type"`
	Format               string                    `json:"format"`
	Properties           map[string]*swaggerSchema `json:"properties"`
	Items                *swaggerSchema            `json:"items"`
	AdditionalProperties json.RawMessage           `json:"additionalProperties"`
	Required             []string                  `json:"required"`
	Enum                 []any                     `json:"enum"`
	GVK                  []struct {
		Group   string `json:"group"`
		Version string `json:"version"`
		Kind    string `json:"kind"`
	} `json:"x-kubernetes-group-version-kind"`
	PreserveUnknownFields bool `json:"x-kubernetes-preserve-unknown-fields"`
	IntOrString           bool `json:"x-kubernetes-int-or-string"`
}

// anything lists the definitions whose content the API server does not check
// against a schema (or checks by rules a schema cannot state).
var anything = map[string]bool{
	"io.k8s.apimachinery.pkg.runtime.RawExtension":                                          true,
	"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON":                         true,
	"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps":              true,
	"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray":       true,
	"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool":        true,
	"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray": true,
	"io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1":                                         true,
	"io.k8s.apimachinery.pkg.apis.meta.v1.Patch":                                            true,
}

const (
	quantityDef   = "io.k8s.apimachinery.pkg.api.resource.Quantity"
	objectMetaDef = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
)

// compacter turns swagger definitions into wire nodes, sharing identical
// inline schemas and keeping only what the object kinds reach.
type compacter struct {
	defs    map[string]*swaggerSchema
	nodes   []wire.Node
	byDef   map[string]int
	interns map[string]int
}

func compact(doc swaggerDoc, version string) (*wire.Schema, error) {
	c := &compacter{defs: doc.Definitions, byDef: map[string]int{}, interns: map[string]int{}}
	if _, err := c.intern(wire.Node{}); err != nil {
		return nil, err
	}
	ws := &wire.Schema{Version: version}
	names := make([]string, 0, len(doc.Definitions))
	for name := range doc.Definitions {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		def := doc.Definitions[name]
		for _, gvk := range def.GVK {
			if len(def.GVK) > 1 {
				// DeleteOptions, WatchEvent and the like: registered in
				// every group, never sent as objects of their own.
				continue
			}
			idx, err := c.def(name)
			if err != nil {
				return nil, err
			}
			apiVersion := gvk.Version
			if gvk.Group != "" {
				apiVersion = gvk.Group + "/" + gvk.Version
			}
			ws.Kinds = append(ws.Kinds, wire.Kind{APIVersion: apiVersion, Kind: gvk.Kind, Node: idx})
		}
	}
	meta, err := c.def(objectMetaDef)
	if err != nil {
		return nil, err
	}
	ws.Meta = meta
	ws.Nodes = c.nodes
	return ws, nil
}

// def returns the node of the named definition, converting it on first use.
func (c *compacter) def(name string) (int, error) {
	if idx, ok := c.byDef[name]; ok {
		return idx, nil
	}
	s, ok := c.defs[name]
	if !ok {
		return 0, fmt.Errorf("definition %s is referred to but not defined", name)
	}
	switch {
	case anything[name]:
		return 0, nil
	case name == quantityDef:
		return c.intern(wire.Node{T: "q"})
	}
	idx := len(c.nodes)
	c.nodes = append(c.nodes, wire.Node{})
	c.byDef[name] = idx
	n, err := c.convert(s)
	if err != nil {
		return 0, fmt.Errorf("definition %s: %w", name, err)
	}
	c.nodes[idx] = n
	return idx, nil
}

// node returns the node of a schema met inside a definition.
func (c *compacter) node(s *swaggerSchema) (int, error) {
	if s.Ref != "" {
		name, ok := strings.CutPrefix(s.Ref, "#/definitions/")
		if !ok {
			return 0, fmt.Errorf("$ref %q is not a local definition", s.Ref)
		}
		return c.def(name)
	}
	n, err := c.convert(s)
	if err != nil {
		return 0, err
	}
	return c.intern(n)
}

// intern returns the index of a node equal to n, adding n if there is none.
func (c *compacter) intern(n wire.Node) (int, error) {
	key, err := json.Marshal(n)
	if err != nil {
		return 0, err
	}
	if idx, ok := c.interns[string(key)]; ok {
		return idx, nil
	}
	idx := len(c.nodes)
	c.nodes = append(c.nodes, n)
	c.interns[string(key)] = idx
	return idx, nil
}

func (c *compacter) convert(s *swaggerSchema) (wire.Node, error) {
	if s.Ref != "" {
		return wire.Node{}, fmt.Errorf("$ref %q where a schema body was expected", s.Ref)
	}
	n := wire.Node{X: s.PreserveUnknownFields, E: s.Enum}
	if s.IntOrString || s.Format == "int-or-string" {
		n.T = "is"
		return n, nil
	}
	switch s.Type {
	case "string":
		n.T = "s"
	case "integer":
		n.T = "i"
		if s.Format == "int32" {
			n.F = "int32"
		}
	case "number":
		n.T = "n"
	case "boolean":
		n.T = "b"
	case "array":
		n.T = "a"
		if s.Items != nil {
			idx, err := c.node(s.Items)
			if err != nil {
				return n, fmt.Errorf("items: %w", err)
			}
			n.I = &idx
		}
	case "object", "":
		if err := c.object(&n, s); err != nil {
			return n, err
		}
	default:
		return n, fmt.Errorf("unknown type %q", s.Type)
	}
	return n, nil
}

func (c *compacter) object(n *wire.Node, s *swaggerSchema) error {
	addl, err := c.additional(s.AdditionalProperties)
	if err != nil {
		return err
	}
	if len(s.Properties) == 0 && addl == nil {
		// An object with no stated fields: the server keeps what it is given
		// (RawExtension-like) or drops it without an error; accept anything.
		n.T = ""
		return nil
	}
	n.T = "o"
	n.A = addl
	props := make([]string, 0, len(s.Properties))
	for p := range s.Properties {
		props = append(props, p)
	}
	sort.Strings(props)
	for _, p := range props {
		idx, err := c.node(s.Properties[p])
		if err != nil {
			return fmt.Errorf("property %s: %w", p, err)
		}
		n.K = append(n.K, p)
		n.V = append(n.V, idx)
	}
	n.R = s.Required
	return nil
}

// additional returns the node that additionalProperties allows, or nil when
// it allows none.
func (c *compacter) additional(raw json.RawMessage) (*int, error) {
	if len(raw) == 0 || string(raw) == "false" {
		return nil, nil
	}
	if string(raw) == "true" {
		zero := 0
		return &zero, nil
	}
	var s swaggerSchema
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("additionalProperties: %w", err)
	}
	idx, err := c.node(&s)
	if err != nil {
		return nil, fmt.Errorf("additionalProperties: %w", err)
	}
	return &idx, nil
}
