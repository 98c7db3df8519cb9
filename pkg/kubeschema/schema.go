package kubeschema

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/bargehq/barge/pkg/kubeschema/wire"
)

//go:embed data/v1.37.json.gz
var embeddedData []byte

// embedded decodes embeddedData once per process; the Schema it returns is
// never changed afterwards.
var embedded = sync.OnceValues(func() (*Schema, error) {
	return decode(embeddedData)
})

// Schema is the object schemas of one Kubernetes version, plus any custom
// resources added by [Schema.WithCRDs]. A Schema is immutable and may be used
// by several goroutines at once.
type Schema struct {
	version string
	kinds   map[gvk]*node
	meta    *node // ObjectMeta
}

// gvk names an object type as objects do: apiVersion ("apps/v1") and kind.
type gvk struct {
	apiVersion, kind string
}

// Embedded returns the schema embedded in barge (Kubernetes v1.37). It is
// decoded on the first call; later calls return the same Schema.
func Embedded() (*Schema, error) {
	return embedded()
}

// Version returns the Kubernetes version whose API the schema describes, such
// as "v1.37".
func (s *Schema) Version() string {
	return s.version
}

// Known reports whether the schema has the type apiVersion/kind.
func (s *Schema) Known(apiVersion, kind string) bool {
	_, ok := s.kinds[gvk{apiVersion, kind}]
	return ok
}

// typ is what a node accepts, besides null.
type typ uint8

const (
	typAny         typ = iota // anything
	typObject                 // an object: fields in props, and/or a map of additional
	typArray                  // an array of items
	typString                 // a string
	typInteger                // a number with an integral value
	typNumber                 // any number
	typBoolean                // a boolean
	typIntOrString            // an integer or a string
	typQuantity               // a string or a number (resource.Quantity)
)

// node is one schema, with references resolved to pointers.
type node struct {
	typ   typ
	int32 bool // an integer that must fit in 32 bits

	props      map[string]*node
	names      []string // the keys of props, sorted (for suggestions)
	required   []string
	items      *node
	additional *node // nil: no fields besides props
	// preserve allows fields besides props (x-kubernetes-preserve-unknown-fields).
	preserve bool
	// embedded marks an object that is itself a Kubernetes object
	// (x-kubernetes-embedded-resource): apiVersion, kind and metadata are allowed.
	embedded bool
	enum     []any
}

// wireType returns the typ that a wire.Node's T names.
func wireType(t string) (typ, bool) {
	switch t {
	case "":
		return typAny, true
	case "o":
		return typObject, true
	case "a":
		return typArray, true
	case "s":
		return typString, true
	case "i":
		return typInteger, true
	case "n":
		return typNumber, true
	case "b":
		return typBoolean, true
	case "is":
		return typIntOrString, true
	case "q":
		return typQuantity, true
	}
	return 0, false
}

// decode reads a gzipped wire.Schema.
func decode(data []byte) (*Schema, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("kubeschema: embedded schema: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("kubeschema: embedded schema: %w", err)
	}
	var w wire.Schema
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("kubeschema: embedded schema: %w", err)
	}
	nodes := make([]node, len(w.Nodes))
	ref := func(i int) (*node, error) {
		if i < 0 || i >= len(nodes) {
			return nil, fmt.Errorf("kubeschema: embedded schema: node %d out of range", i)
		}
		return &nodes[i], nil
	}
	for i, wn := range w.Nodes {
		n := &nodes[i]
		t, ok := wireType(wn.T)
		if !ok {
			return nil, fmt.Errorf("kubeschema: embedded schema: node %d: unknown type %q", i, wn.T)
		}
		n.typ, n.int32, n.required, n.preserve, n.enum = t, wn.F == "int32", wn.R, wn.X, wn.E
		if len(wn.K) != len(wn.V) {
			return nil, fmt.Errorf("kubeschema: embedded schema: node %d: %d names for %d properties", i, len(wn.K), len(wn.V))
		}
		if len(wn.K) > 0 {
			n.names = wn.K
			n.props = make(map[string]*node, len(wn.K))
			for j, name := range wn.K {
				if n.props[name], err = ref(wn.V[j]); err != nil {
					return nil, err
				}
			}
		}
		if wn.I != nil {
			if n.items, err = ref(*wn.I); err != nil {
				return nil, err
			}
		}
		if wn.A != nil {
			if n.additional, err = ref(*wn.A); err != nil {
				return nil, err
			}
		}
	}
	s := &Schema{version: w.Version, kinds: make(map[gvk]*node, len(w.Kinds))}
	if s.meta, err = ref(w.Meta); err != nil {
		return nil, err
	}
	for _, k := range w.Kinds {
		if s.kinds[gvk{k.APIVersion, k.Kind}], err = ref(k.Node); err != nil {
			return nil, err
		}
	}
	return s, nil
}
