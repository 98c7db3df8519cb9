package values

import (
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/yaml"
)

func FuzzParseSet(f *testing.F) {
	for _, s := range []string{
		"a=b", "a.b=c,d[0]=1", "a[1].b=2,a[0]=x", "a={1,2,3}", `a\.b=c`, "a=null",
		"a[0][1]=2", "a=1,a.b=2", "a.b=1,a[0]=1", "a[0]=1,a[0][0]=2", "a=", "a", "a,b=c",
		"a.=b", "a[x]=1", "a[-1]=1", "a[0]b=1", "a={1,2", "a={}", `a={"x":1}`,
		`a=[1,2], b = {"c":null}`, `a\`, `a=b\`, "[0]=1", "a[65537]=1", "a[0].=1",
		"a[0].b[1].c=2,a[0].b[0]=x",
	} {
		f.Add(s)
	}
	read := func(p string) ([]byte, error) { return []byte(p), nil }
	f.Fuzz(func(t *testing.T, s string) {
		for _, parse := range []func(string, map[string]any) error{
			ParseSet, ParseSetString, ParseSetJSON, ParseSetLiteral,
			func(s string, d map[string]any) error { return ParseSetFile(s, d, read) },
		} {
			_ = parse(s, map[string]any{})
			_ = parse(s, map[string]any{"a": "s", "x": []any{map[string]any{}, "s", nil}, "n": nil})
		}
	})
}

func FuzzCoalesce(f *testing.F) {
	f.Add("a: 1\nsub: {x: null}\nglobal: {g: 1}", "a: {b: 1}\nglobal: {g: {h: 2}}\nsub: 1", "x: 2\nglobal: 3")
	f.Add("a: null\nglobal: null", "a: {b: 1}", "x: {y: z}")
	f.Add("sub: null", "sub: {x: 1}\nglobal: {a: {b: 1}}", "global: {a: {c: 2}}\nx: [1]")
	f.Add("sub: {global: {a: 1}}", "", "global: {a: {c: 2}}")
	f.Fuzz(func(t *testing.T, userY, parentY, subY string) {
		var user, pv, sv map[string]any
		if yaml.Unmarshal([]byte(userY), &user) != nil ||
			yaml.Unmarshal([]byte(parentY), &pv) != nil ||
			yaml.Unmarshal([]byte(subY), &sv) != nil {
			return
		}
		sub := &chart.Chart{Metadata: &chart.Metadata{Name: "sub", Version: "1.0.0"}, Values: sv}
		parent := &chart.Chart{Metadata: &chart.Metadata{Name: "parent", Version: "1.0.0",
			Dependencies: []*chart.Dependency{{Name: "sub", Version: "1.x", Condition: "sub.enabled", Tags: []string{"t"},
				ImportValues: []any{"data", map[string]any{"child": "x", "parent": "y"}}}}}, Values: pv}
		parent.AddDependency(sub)
		_, _ = Coalesce(parent, user)
		_, _, _ = Resolve(parent, user)
		m := MergeTables(copyMap(user), copyMap(pv))
		_ = CoalesceTables(m, copyMap(sv))
	})
}
