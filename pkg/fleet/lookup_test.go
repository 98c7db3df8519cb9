package fleet

import (
	"context"
	"testing"
)

type countingLookuper struct{ calls map[string]int }

func (c *countingLookuper) Lookup(_ context.Context, apiVersion, kind, namespace, name string) (map[string]any, error) {
	c.calls[kind+"/"+namespace+"/"+name]++
	return map[string]any{"metadata": map[string]any{"name": name}}, nil
}

func TestLookupMemo(t *testing.T) {
	c := &countingLookuper{calls: map[string]int{}}
	m := &lookupMemo{lk: c, seen: map[[4]string]lookupResult{}}
	ctx := context.Background()
	for range 3 {
		if _, err := m.Lookup(ctx, "v1", "Secret", "ns", "db"); err != nil {
			t.Fatal(err)
		}
	}
	got, err := m.Lookup(ctx, "v1", "Secret", "ns", "other")
	if err != nil {
		t.Fatal(err)
	}
	if got["metadata"].(map[string]any)["name"] != "other" {
		t.Errorf("lookup of another object returned %v", got)
	}
	if c.calls["Secret/ns/db"] != 1 || c.calls["Secret/ns/other"] != 1 {
		t.Errorf("cluster lookups = %v, want one per object", c.calls)
	}
}
