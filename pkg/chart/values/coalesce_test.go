package values

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"
)

func newChart(name string, vals map[string]any, subs ...*chart.Chart) *chart.Chart {
	c := &chart.Chart{Metadata: &chart.Metadata{Name: name, Version: "1.0.0"}, Values: vals}
	c.AddDependency(subs...)
	return c
}

func TestCoalesce(t *testing.T) {
	tests := []struct {
		name  string
		chart func() *chart.Chart
		user  m
		want  m
	}{
		{
			name:  "user over defaults, maps merged",
			chart: func() *chart.Chart { return newChart("c", m{"a": m{"x": 1.0, "y": 2.0}, "b": "d", "l": l{1.0}}) },
			user:  m{"a": m{"y": int64(3)}, "l": l{"u"}},
			want:  m{"a": m{"x": 1.0, "y": int64(3)}, "b": "d", "l": l{"u"}},
		},
		{
			name:  "null deletes a default",
			chart: func() *chart.Chart { return newChart("c", m{"a": m{"x": 1.0, "y": 2.0}, "b": "d"}) },
			user:  m{"a": m{"x": nil}, "b": nil},
			want:  m{"a": m{"y": 2.0}},
		},
		{
			name:  "null without a default is kept",
			chart: func() *chart.Chart { return newChart("c", m{"a": m{"x": 1.0}}) },
			user:  m{"a": m{"z": nil}, "n": nil},
			want:  m{"a": m{"x": 1.0, "z": nil}, "n": nil},
		},
		{
			name:  "scalar does not replace a table",
			chart: func() *chart.Chart { return newChart("c", m{"a": m{"x": 1.0}}) },
			user:  m{"a": "s"},
			want:  m{"a": "s"},
		},
		{
			name:  "table does not replace a nested scalar default",
			chart: func() *chart.Chart { return newChart("c", m{"a": m{"x": m{"y": 1.0}}}) },
			user:  m{"a": m{"x": "s"}},
			want:  m{"a": m{"x": "s"}},
		},
		{
			name: "subchart defaults under its name, parent wins, globals copied down",
			chart: func() *chart.Chart {
				sub := newChart("sub", m{"x": "sub", "y": "sub", "global": m{"g": "sub", "h": "sub"}})
				return newChart("parent", m{"sub": m{"x": "parent"}, "global": m{"g": "parent"}}, sub)
			},
			user: m{"sub": m{"y": "user"}},
			want: m{
				"sub":    m{"x": "parent", "y": "user", "global": m{"g": "parent", "h": "sub"}},
				"global": m{"g": "parent"},
			},
		},
		{
			name: "null for a subchart value deletes the subchart's default",
			chart: func() *chart.Chart {
				return newChart("parent", m{}, newChart("sub", m{"x": "sub", "keep": true}))
			},
			user: m{"sub": m{"x": nil}},
			want: m{"sub": m{"keep": true, "global": m{}}},
		},
		{
			name: "user globals reach grandchildren",
			chart: func() *chart.Chart {
				return newChart("a", nil, newChart("b", nil, newChart("c", m{"v": 1.0})))
			},
			user: m{"global": m{"env": "prod"}},
			want: m{"global": m{"env": "prod"}, "b": m{"global": m{"env": "prod"}, "c": m{"v": 1.0, "global": m{"env": "prod"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := tt.chart()
			got, err := Coalesce(ch, tt.user)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Coalesce (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCoalesceDoesNotShare(t *testing.T) {
	ch := newChart("c", m{"a": m{"x": 1.0}, "l": l{m{"k": "v"}}})
	user := m{"u": m{"y": 2.0}}
	got, err := Coalesce(ch, user)
	if err != nil {
		t.Fatal(err)
	}
	got["a"].(m)["x"] = "changed"
	got["l"].(l)[0].(m)["k"] = "changed"
	got["u"].(m)["y"] = "changed"
	if diff := cmp.Diff(m{"a": m{"x": 1.0}, "l": l{m{"k": "v"}}}, ch.Values); diff != "" {
		t.Errorf("chart values changed through the result (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(m{"u": m{"y": 2.0}}, user); diff != "" {
		t.Errorf("user values changed through the result (-want +got):\n%s", diff)
	}
}

func TestMergeAndCoalesceTables(t *testing.T) {
	tests := []struct {
		name     string
		dst, src m
		merge    bool
		want     m
	}{
		{name: "merge keeps nulls", dst: m{"a": nil, "b": m{"c": 1.0}}, src: m{"a": "old", "b": m{"d": 2.0}, "e": 3.0}, merge: true,
			want: m{"a": nil, "b": m{"c": 1.0, "d": 2.0}, "e": 3.0}},
		{name: "coalesce drops nulled keys", dst: m{"a": nil, "b": m{"c": nil}}, src: m{"a": "old", "b": m{"c": 1.0, "d": 2.0}}, merge: false,
			want: m{"b": m{"d": 2.0}}},
		{name: "nil dst takes src", dst: nil, src: m{"a": 1.0}, merge: true, want: m{"a": 1.0}},
		{name: "nil src keeps dst", dst: m{"a": 1.0}, src: nil, merge: false, want: m{"a": 1.0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got m
			if tt.merge {
				got = MergeTables(tt.dst, tt.src)
			} else {
				got = CoalesceTables(tt.dst, tt.src)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
