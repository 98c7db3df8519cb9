package kubeschema

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ProblemKind says what is wrong with a field.
type ProblemKind int

const (
	// TypeMismatch is a value of the wrong type: a string where an integer is
	// expected, a number where a string is, an integer out of its range.
	TypeMismatch ProblemKind = iota + 1
	// MissingRequired is a required field that is absent; the Problem's path
	// is the object that lacks it.
	MissingRequired
	// UnknownField is a field the schema does not have; the API server
	// rejects it or drops it.
	UnknownField
	// NotInEnum is a value that is not one of those the schema allows.
	NotInEnum
)

// String returns the name of the kind, such as "TypeMismatch".
func (k ProblemKind) String() string {
	switch k {
	case TypeMismatch:
		return "TypeMismatch"
	case MissingRequired:
		return "MissingRequired"
	case UnknownField:
		return "UnknownField"
	case NotInEnum:
		return "NotInEnum"
	}
	return "ProblemKind(" + strconv.Itoa(int(k)) + ")"
}

// Problem is one way in which an object does not fit its schema.
type Problem struct {
	// Path is where in the object, such as
	// "spec.template.spec.containers[0].ports[1].containerPort"; "" is the
	// object itself. Keys that are not plain names are quoted:
	// `metadata.labels["app.kubernetes.io/name"]`.
	Path string
	// Kind says what is wrong.
	Kind ProblemKind
	// Message is one line for a user, starting with the path, such as
	// `spec.replicas: expected integer, got string "3"`.
	Message string
	// Line is the 1-based line within the document where the problem is, set
	// by [Schema.ValidateDocument]; 0 when unknown.
	Line int
}

// String returns the problem's message.
func (p Problem) String() string {
	return p.Message
}

// seg is one step of a path: a key, or an index when key is "" and index >= 0.
type seg struct {
	key   string
	index int
}

// problem is a Problem before its path is written out.
type problem struct {
	segs []seg
	kind ProblemKind
	text string // the message without the path
}

// validator walks one object. Its path is a stack, grown and shrunk as the walk
// goes, and copied only when a problem is found.
type validator struct {
	schema   *Schema
	path     []seg
	problems []problem
}

// Validate checks one object, decoded as JSON would be (numbers may be float64,
// int64, int or json.Number), and returns its problems, ordered by path. known
// is false when the schema does not know the object's apiVersion and kind;
// then nothing is checked. An object of kind List, or of an unknown kind
// ending in List, has each of its items checked as an object of its own.
func (s *Schema) Validate(obj map[string]any) (problems []Problem, known bool) {
	v := validator{schema: s, path: make([]seg, 0, 16)}
	known = v.object(obj)
	return v.result(), known
}

// result writes out the problems found, ordered by path.
func (v *validator) result() []Problem {
	if len(v.problems) == 0 {
		return nil
	}
	out := make([]Problem, len(v.problems))
	for i, p := range v.problems {
		path := formatPath(p.segs)
		msg := p.text
		if path != "" {
			msg = path + ": " + p.text
		}
		out[i] = Problem{Path: path, Kind: p.kind, Message: msg}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// object checks a whole Kubernetes object found at the current path.
func (v *validator) object(obj map[string]any) bool {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	if n, ok := v.schema.kinds[gvk{apiVersion, kind}]; ok {
		v.check(n, obj)
		return true
	}
	if kind == "List" || strings.HasSuffix(kind, "List") {
		return v.list(obj, apiVersion, kind)
	}
	return false
}

// list checks the items of a List, or of a list of a kind the schema has only
// as items (custom resources). An item without apiVersion or kind of a typed
// list takes them from the list.
func (v *validator) list(obj map[string]any, apiVersion, kind string) bool {
	itemKind := strings.TrimSuffix(kind, "List")
	if kind != "List" && !v.schema.Known(apiVersion, itemKind) {
		return false
	}
	items, ok := obj["items"].([]any)
	if !ok {
		return true
	}
	v.path = append(v.path, seg{key: "items"})
	for i, item := range items {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		v.path = append(v.path, seg{index: i})
		if kind != "List" {
			if _, ok := m["apiVersion"]; !ok {
				m = withTypeMeta(m, apiVersion, itemKind)
			} else if _, ok := m["kind"]; !ok {
				m = withTypeMeta(m, apiVersion, itemKind)
			}
		}
		v.object(m)
		v.path = v.path[:len(v.path)-1]
	}
	v.path = v.path[:len(v.path)-1]
	return true
}

// withTypeMeta returns a shallow copy of m with apiVersion and kind set where
// m lacks them.
func withTypeMeta(m map[string]any, apiVersion, kind string) map[string]any {
	c := make(map[string]any, len(m)+2)
	c["apiVersion"], c["kind"] = apiVersion, kind
	for k, val := range m {
		c[k] = val
	}
	return c
}

func (v *validator) report(kind ProblemKind, text string) {
	v.problems = append(v.problems, problem{segs: append([]seg(nil), v.path...), kind: kind, text: text})
}

// check checks value against n. null is accepted anywhere: the API server
// treats it as unset.
func (v *validator) check(n *node, value any) {
	if value == nil {
		return
	}
	switch n.typ {
	case typAny:
	case typString:
		if _, ok := value.(string); !ok {
			v.mismatch("string", value)
			return
		}
	case typBoolean:
		if _, ok := value.(bool); !ok {
			v.mismatch("boolean", value)
			return
		}
	case typNumber:
		if _, ok := number(value); !ok {
			v.mismatch("number", value)
			return
		}
	case typInteger:
		if !v.integer(n, value) {
			return
		}
	case typIntOrString:
		if _, ok := value.(string); !ok && !isInteger(value) {
			v.mismatch("integer or string", value)
			return
		}
	case typQuantity:
		if _, ok := value.(string); !ok {
			if _, ok := number(value); !ok {
				v.mismatch("quantity (a string such as \"100m\" or a number)", value)
				return
			}
		}
	case typArray:
		items, ok := value.([]any)
		if !ok {
			v.mismatch("array", value)
			return
		}
		if n.items != nil && n.items.typ != typAny {
			for i, item := range items {
				v.path = append(v.path, seg{index: i})
				v.check(n.items, item)
				v.path = v.path[:len(v.path)-1]
			}
		}
	case typObject:
		m, ok := value.(map[string]any)
		if !ok {
			v.mismatch("object", value)
			return
		}
		v.fields(n, m)
	}
	if n.enum != nil && n.typ != typObject && n.typ != typArray {
		v.inEnum(n, value)
	}
}

// fields checks the fields of an object.
func (v *validator) fields(n *node, m map[string]any) {
	for key, val := range m {
		if p, ok := n.props[key]; ok {
			v.path = append(v.path, seg{key: key})
			v.check(p, val)
			v.path = v.path[:len(v.path)-1]
			continue
		}
		switch {
		case n.additional != nil:
			v.path = append(v.path, seg{key: key})
			v.check(n.additional, val)
			v.path = v.path[:len(v.path)-1]
		case n.embedded && (key == "apiVersion" || key == "kind"):
			v.path = append(v.path, seg{key: key})
			v.check(&node{typ: typString}, val)
			v.path = v.path[:len(v.path)-1]
		case n.embedded && key == "metadata":
			v.path = append(v.path, seg{key: key})
			v.check(v.schema.meta, val)
			v.path = v.path[:len(v.path)-1]
		case n.preserve:
		default:
			v.path = append(v.path, seg{key: key})
			v.report(UnknownField, "unknown field"+suggest(key, n.names))
			v.path = v.path[:len(v.path)-1]
		}
	}
	for _, r := range n.required {
		if _, ok := m[r]; !ok {
			v.report(MissingRequired, "missing required field "+strconv.Quote(r))
		}
	}
}

// integer checks an integer, and its range when n is an int32.
func (v *validator) integer(n *node, value any) bool {
	if !isInteger(value) {
		v.mismatch("integer", value)
		return false
	}
	f, _ := number(value)
	switch {
	case n.int32 && (f < math.MinInt32 || f > math.MaxInt32):
		v.report(TypeMismatch, "expected 32-bit integer, got "+describe(value)+" (out of range)")
		return false
	case f < math.MinInt64 || f >= math.MaxInt64:
		v.report(TypeMismatch, "expected 64-bit integer, got "+describe(value)+" (out of range)")
		return false
	}
	return true
}

func (v *validator) mismatch(want string, got any) {
	v.report(TypeMismatch, "expected "+want+", got "+describe(got))
}

func (v *validator) inEnum(n *node, value any) {
	for _, e := range n.enum {
		if equalScalar(e, value) {
			return
		}
	}
	allowed := make([]string, len(n.enum))
	for i, e := range n.enum {
		allowed[i] = formatScalar(e)
	}
	v.report(NotInEnum, formatScalar(value)+" is not one of "+strings.Join(allowed, ", "))
}

// number returns a JSON number as a float64.
func number(value any) (float64, bool) {
	switch x := value.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float32:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// isInteger reports whether value is a number with an integral value
// (3 and 3.0 both are).
func isInteger(value any) bool {
	switch x := value.(type) {
	case int64, int, int32, uint64:
		return true
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return true
		}
	}
	f, ok := number(value)
	return ok && f == math.Trunc(f) && !math.IsInf(f, 0)
}

func equalScalar(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	switch a.(type) {
	case string, bool:
		return a == b
	}
	return false
}

// describe names a value's type, and shows it when it is a scalar.
func describe(value any) string {
	switch x := value.(type) {
	case string:
		return "string " + formatScalar(x)
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	if _, ok := number(value); ok {
		return "number " + formatScalar(value)
	}
	return fmt.Sprintf("%T", value)
}

// formatScalar writes a scalar as it would appear in JSON, a long string cut.
func formatScalar(value any) string {
	switch x := value.(type) {
	case string:
		if len(x) > 40 {
			x = x[:37] + "..."
		}
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	}
	if f, ok := number(value); ok {
		if a := math.Abs(f); a >= 1e21 || a != 0 && a < 1e-6 {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(value)
}

// formatPath writes a path as "a.b[0].c", quoting keys that are not plain
// names: `metadata.labels["app.kubernetes.io/name"]`.
func formatPath(segs []seg) string {
	var b strings.Builder
	for _, s := range segs {
		switch {
		case s.key == "":
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		case plainName(s.key):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(s.key))
			b.WriteByte(']')
		}
	}
	return b.String()
}

func plainName(key string) bool {
	for _, r := range key {
		if !(r == '_' || r == '-' || r == '$' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return key != ""
}

// suggest returns ` (did you mean "x"?)` for the name closest to key, when one
// is close enough to be a likely typo.
func suggest(key string, names []string) string {
	best, bestDist := "", -1
	for _, name := range names {
		d := editDistance(strings.ToLower(key), strings.ToLower(name))
		if bestDist < 0 || d < bestDist {
			best, bestDist = name, d
		}
	}
	if bestDist < 0 || bestDist > 2 || bestDist*3 > len(key) {
		return ""
	}
	return " (did you mean " + strconv.Quote(best) + "?)"
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
