package values

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"helm.sh/helm/v3/pkg/chart"
)

// schemaURL is where a chart's values.schema.json is placed for resolving
// references, as Helm does.
const schemaURL = "file:///values.schema.json"

// SchemaCache holds compiled values schemas by their source text, for
// Resolvers to share. The zero SchemaCache is ready to use; it may be used by
// several goroutines at once (compiled schemas are read-only).
type SchemaCache struct {
	m sync.Map // string -> *compiled
}

type compiled struct {
	once   sync.Once
	schema *jsonschema.Schema
	err    error
}

// Prepare starts compiling the schema src in the background, so that a
// later validation with it finds it compiled, or waits for the compilation
// under way. It returns at once; a schema already known is left alone.
// Errors are reported by the validation that uses the schema.
func (sc *SchemaCache) Prepare(src []byte) {
	v, known := sc.m.LoadOrStore(string(src), &compiled{})
	if known {
		return
	}
	c := v.(*compiled)
	go c.once.Do(func() { c.schema, c.err = compileSchema(src) })
}

func (sc *SchemaCache) get(src []byte) (*jsonschema.Schema, error) {
	v, _ := sc.m.LoadOrStore(string(src), &compiled{})
	c := v.(*compiled)
	c.once.Do(func() { c.schema, c.err = compileSchema(src) })
	return c.schema, c.err
}

// urnLoader resolves urn: references to a schema that accepts anything, as
// Helm does when it has no resolver for them.
type urnLoader struct{}

func (urnLoader) Load(string) (any, error) { return true, nil }

// CheckSchema reports whether src, a chart's values.schema.json, is a JSON
// schema that values can be checked against: the error says why not.
func CheckSchema(src []byte) error {
	_, err := compileSchema(src)
	return err
}

func compileSchema(src []byte) (s *jsonschema.Schema, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unable to validate schema: %v", r)
		}
	}()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(jsonschema.SchemeURLLoader{
		"file": jsonschema.FileLoader{},
		"urn":  urnLoader{},
	})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(schemaURL)
}

// validateOne checks values against one schema, giving the violations in
// Helm's wording: one "- at '/path': rule" line each.
func (r *Resolver) validateOne(vals map[string]any, src []byte) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("unable to validate schema: %v", x)
		}
	}()
	s, err := r.schemaCache().get(src)
	if err != nil {
		return err
	}
	if vals == nil {
		vals = map[string]any{}
	}
	if err := s.Validate(vals); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			sortCauses(ve)
			maskValidation(ve)
		}
		msg := strings.TrimPrefix(err.Error(), "jsonschema validation failed with '"+schemaURL+"#'\n")
		return errors.New(msg + "\n")
	}
	return nil
}

// sortCauses orders the violations by the location of the value at fault
// (the validator finds them in map order), so messages are reproducible.
func sortCauses(ve *jsonschema.ValidationError) {
	if ap, ok := ve.ErrorKind.(*kind.AdditionalProperties); ok {
		slices.Sort(ap.Properties)
	}
	slices.SortStableFunc(ve.Causes, func(a, b *jsonschema.ValidationError) int {
		return slices.Compare(a.InstanceLocation, b.InstanceLocation)
	})
	for _, c := range ve.Causes {
		sortCauses(c)
	}
}

// schemaErrors collects the violations of c's schema and its dependencies'
// schemas, each under its chart's name.
func (r *Resolver) schemaErrors(sb *strings.Builder, c *chart.Chart, vals map[string]any) {
	if c.Schema != nil {
		if err := r.validateOne(vals, c.Schema); err != nil {
			fmt.Fprintf(sb, "%s:\n", c.Name())
			sb.WriteString(err.Error())
		}
	}
	for _, sub := range c.Dependencies() {
		raw, ok := vals[sub.Name()]
		if !ok || raw == nil {
			continue
		}
		sv, ok := raw.(map[string]any)
		if !ok {
			fmt.Fprintf(sb, "%s:\ninvalid type for values: expected object (map), got %T\n", sub.Name(), raw)
			continue
		}
		r.schemaErrors(sb, sub, sv)
	}
}

// SchemaError reports values that break the values.schema.json of a chart
// or of its dependencies. Its message is Helm's: the charts by name, each
// followed by its violations, one "- at '/path': rule" line each.
type SchemaError struct {
	Details string // the charts and violations, without the leading sentence
}

func (e *SchemaError) Error() string {
	return "values don't meet the specifications of the schema(s) in the following chart(s):\n" + e.Details
}

func (r *Resolver) validate(c *chart.Chart, vals map[string]any) error {
	var sb strings.Builder
	r.schemaErrors(&sb, c, vals)
	if sb.Len() == 0 {
		return nil
	}
	return &SchemaError{Details: sb.String()}
}
