package archive

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadRefuses checks that Load names the file at fault when Helm's
// loader refuses the chart in a sound archive.
func TestLoadRefuses(t *testing.T) {
	const ok = "apiVersion: v2\nname: demo\nversion: 0.1.0\n"
	tests := []struct {
		name   string
		ents   []ent
		entry  string
		reason string
	}{
		{name: "no Chart.yaml", ents: []ent{file("demo/values.yaml", "")}, entry: "demo/Chart.yaml", reason: "no Chart.yaml"},
		{name: "Chart.yaml does not parse", ents: []ent{file("demo/Chart.yaml", "name: [\n")}, entry: "demo/Chart.yaml", reason: "cannot load Chart.yaml"},
		{name: "no version", ents: []ent{file("demo/Chart.yaml", "apiVersion: v2\nname: demo\n")}, entry: "demo/Chart.yaml", reason: "chart.metadata.version is required"},
		{name: "values.yaml does not parse", ents: []ent{file("demo/Chart.yaml", ok), file("demo/values.yaml", "a: [\n")}, entry: "demo/values.yaml", reason: "cannot load values.yaml"},
		{name: "Chart.lock does not parse", ents: []ent{file("demo/Chart.yaml", ok), file("demo/Chart.lock", "a: [\n")}, entry: "demo/Chart.lock", reason: "cannot load Chart.lock"},
		{name: "subchart without Chart.yaml", ents: []ent{file("demo/Chart.yaml", ok), file("demo/charts/sub/values.yaml", "")}, entry: "demo/charts/sub", reason: "error unpacking subchart sub"},
		{name: "subchart archive without Chart.yaml", ents: []ent{file("demo/Chart.yaml", ok), file("demo/charts/sub.tgz", string(tgzOf(t, file("sub/values.yaml", ""))))}, entry: "demo/charts/sub.tgz", reason: "error unpacking subchart sub.tgz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(bytes.NewReader(tgz(t, tc.ents...)), "x.tgz", Limits{})
			checkRefusal(t, "Load", err, "x.tgz", tc.entry, tc.reason)
		})
	}
}

// tgzOf is tgz, for use in a table.
func tgzOf(t testing.TB, ents ...ent) []byte { return tgz(t, ents...) }

// TestLoadFile checks LoadFile's own refusals.
func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "demo-0.1.0.tgz")
	if err := os.WriteFile(good, okTgz(t), 0o644); err != nil {
		t.Fatal(err)
	}
	ch, err := LoadFile(good, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if ch.Name() != "demo" || len(ch.Templates) != 1 || ch.Values["replicas"] != float64(1) {
		t.Errorf("loaded %s with %d templates and values %v", ch.Name(), len(ch.Templates), ch.Values)
	}

	if _, err := LoadFile(filepath.Join(dir, "missing.tgz"), Limits{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: got %v", err)
	}
	if _, err := LoadFile(dir, Limits{}); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: got %v", err)
	}
	_, err = LoadFile(good, Limits{MaxArchive: 10})
	checkRefusal(t, "LoadFile", err, good, "", "over the limit of 10 (MaxArchive)")

	values := filepath.Join(dir, "values.yaml")
	if err := os.WriteFile(values, []byte("replicas: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadFile(values, Limits{})
	checkRefusal(t, "LoadFile", err, values, "", "seems to be YAML")
}
