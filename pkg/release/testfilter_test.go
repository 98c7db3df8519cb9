package release

import (
	"slices"
	"testing"
)

func TestTestFilter(t *testing.T) {
	hooks := []*Hook{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	tests := []struct {
		name    string
		filter  []string
		want    []string
		wantErr bool
	}{
		{name: "no filter runs all", want: []string{"a", "b", "c"}},
		{name: "include", filter: []string{"name=a", "name=c"}, want: []string{"a", "c"}},
		{name: "exclude", filter: []string{"!name=b"}, want: []string{"a", "c"}},
		{name: "include and exclude", filter: []string{"name=a", "name=b", "!name=b"}, want: []string{"a"}},
		{name: "unknown attribute", filter: []string{"kind=Pod"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseTestFilter(tt.filter)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			var got []string
			for _, h := range f.keep(hooks) {
				got = append(got, h.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("kept %v, want %v", got, tt.want)
			}
		})
	}
}
