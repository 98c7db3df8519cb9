// Package wire is the format of the schema file package kubeschema embeds:
// hack/kubeschema writes it from Kubernetes' API definitions, and
// kubeschema reads it. It holds types only.
package wire

// Schema is the whole file: the schema nodes of one Kubernetes version and
// the kinds that start at them. Nodes refer to each other by index; node 0
// accepts anything.
type Schema struct {
	Version string `json:"version"`
	Meta    int    `json:"meta"` // the node of ObjectMeta
	Nodes   []Node `json:"nodes"`
	Kinds   []Kind `json:"kinds"`
}

// Kind is an object type and the node of its schema.
type Kind struct {
	APIVersion string `json:"v"`
	Kind       string `json:"k"`
	Node       int    `json:"n"`
}

// Node is one schema. T is "" (anything), "o" object, "a" array, "s"
// string, "i" integer, "n" number, "b" boolean, "is" integer or string, "q"
// string or number (a Quantity); F its format; K and V an object's field
// names and their nodes; R its required fields; I an array's item node; A an
// object's node for additional properties; X keeps unknown fields; E the
// values of an enum.
type Node struct {
	T string   `json:"t,omitempty"`
	F string   `json:"f,omitempty"`
	K []string `json:"k,omitempty"`
	V []int    `json:"v,omitempty"`
	R []string `json:"r,omitempty"`
	I *int     `json:"i,omitempty"`
	A *int     `json:"a,omitempty"`
	X bool     `json:"x,omitempty"`
	E []any    `json:"e,omitempty"`
}
