package render

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mitchellh/copystructure"

	"github.com/bargehq/barge/pkg/chart"
	"github.com/bargehq/barge/pkg/chart/render/internal/chartutil"
)

// TestDeepCopyMatchesCopystructure checks that mustDeepCopy gives what
// sprig's copystructure gives, types included, and shares nothing with
// its input.
func TestDeepCopyMatchesCopystructure(t *testing.T) {
	cases := map[string]any{
		"string":           "a",
		"int":              3,
		"int64":            int64(3),
		"float":            1.5,
		"bool":             true,
		"nil map":          map[string]any(nil),
		"empty map":        map[string]any{},
		"nil slice":        []any(nil),
		"empty slice":      []any{},
		"nested":           map[string]any{"a": []any{1, "x", nil, map[string]any{"b": nil}}, "c": map[string]any{}},
		"values":           chartutil.Values{"a": chartutil.Values{"b": 1}, "c": []any{chartutil.Values{}}},
		"nil in map":       map[string]any{"a": nil},
		"string map":       map[string]string{"a": "b"},
		"time":             map[string]any{"t": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		"struct in a list": []any{struct{ A int }{1}},
		"typed list":       []string{"a", "b"},
		"files":            map[string]any{"f": Files{"a": []byte("x"), "empty": {}, "nil": nil}},
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			want, werr := copystructure.Copy(v)
			got, gerr := mustDeepCopy(v)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("error = %v, copystructure's = %v", gerr, werr)
			}
			if reflect.TypeOf(got) != reflect.TypeOf(want) {
				t.Errorf("type %T, copystructure gives %T", got, want)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("copy differs from copystructure's (-want +got):\n%s", cmp.Diff(want, got))
			}
		})
	}
}

// sprig's mustDeepCopy panics on nil (copystructure asks nil for its
// type); templates see that as an error calling the function. So must ours.
func TestDeepCopyOfNothing(t *testing.T) {
	panicOf := func(f func()) (p any) {
		defer func() { p = recover() }()
		f()
		return nil
	}
	want := panicOf(func() { _, _ = copystructure.Copy(nil) })
	got := panicOf(func() { _, _ = mustDeepCopy(nil) })
	if want == nil || got == nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("mustDeepCopy(nil) panics with %v; copystructure with %v", got, want)
	}
}

func TestDeepCopySharesNothing(t *testing.T) {
	in := map[string]any{"a": []any{map[string]any{"b": "c"}}}
	out := deepCopy(in).(map[string]any)
	out["a"].([]any)[0].(map[string]any)["b"] = "changed"
	if got := in["a"].([]any)[0].(map[string]any)["b"]; got != "c" {
		t.Errorf("changing the copy changed the original: %v", got)
	}
}

// TestDeepCopyRandom compares with copystructure on random trees of the
// kinds values are made of.
func TestDeepCopyRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var gen func(depth int) any
	gen = func(depth int) any {
		k := r.IntN(9)
		if depth > 4 {
			k = r.IntN(5)
		}
		switch k {
		case 0:
			return nil
		case 1:
			return strings.Repeat("x", r.IntN(3))
		case 2:
			return r.Float64()
		case 3:
			return r.IntN(2) == 0
		case 4:
			return int64(r.IntN(100))
		case 5, 6:
			m := map[string]any{}
			for i := range r.IntN(4) {
				m[string(rune('a'+i))] = gen(depth + 1)
			}
			if k == 6 {
				return chartutil.Values(m)
			}
			return m
		default:
			s := make([]any, r.IntN(4))
			for i := range s {
				s[i] = gen(depth + 1)
			}
			return s
		}
	}
	for i := range 2000 {
		v := gen(0)
		if v == nil {
			continue // see TestDeepCopyOfNothing
		}
		want, werr := copystructure.Copy(v)
		got, gerr := mustDeepCopy(v)
		if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(got, want) || reflect.TypeOf(got) != reflect.TypeOf(want) {
			t.Fatalf("case %d: %#v: got %#v (%v), copystructure %#v (%v)", i, v, got, gerr, want, werr)
		}
	}
}

// TestDeepCopyOfScope copies a template's whole scope, as `deepCopy .`
// does: maps of structs (.Chart, .Capabilities, .Files) and values.
func TestDeepCopyOfScope(t *testing.T) {
	ch, err := chart.Load(filepath.Join("testdata", "charts", "features"))
	if err != nil {
		t.Fatal(err)
	}
	top := map[string]any{
		"Capabilities": DefaultCapabilities(),
		"Release":      map[string]any{"Name": "r", "Namespace": "ns", "IsUpgrade": false, "IsInstall": true, "Revision": 1, "Service": "Helm"},
		"Values":       map[string]any{"a": []any{1.5, "x", map[string]any{"b": nil}}},
	}
	scope := collect(ch, true, top, map[string]renderable{})
	scope["Template"] = chartutil.Values{"Name": "features/templates/x.yaml", "BasePath": "features/templates"}
	want, werr := copystructure.Copy(scope)
	got, gerr := mustDeepCopy(scope)
	if werr != nil || gerr != nil {
		t.Fatalf("errors: %v; copystructure's: %v", gerr, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("copy differs from copystructure's (-want +got):\n%s", cmp.Diff(want, got, cmp.Exporter(func(reflect.Type) bool { return true })))
	}
}
