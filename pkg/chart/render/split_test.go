package render

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// helmSeparator is the expression Helm splits manifests with
// (pkg/releaseutil's sep); splitSeparators must split exactly as it does.
var helmSeparator = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

func TestSplitSeparators(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", []string{""}},
		{"no separator", "a: 1", []string{"a: 1"}},
		{"leading separator", "---\na: 1", []string{"", "a: 1"}},
		{"two documents", "a: 1\n---\nb: 2", []string{"a: 1", "b: 2"}},
		{"whitespace before and after", "a: 1  \n\t\n---  \n\n b: 2", []string{"a: 1", "b: 2"}},
		{"not at line start", "a: ---\nb: 2", []string{"a: ---\nb: 2"}},
		{"four dashes", "a\n----\nb", []string{"a", "-\nb"}},
		{"text after dashes", "a\n---foo\nb", []string{"a", "foo\nb"}},
		{"separator after separator consumed newline", "---\n---\na", []string{"", "---\na"}},
		{"dashes preceded by dash", "a\n-----", []string{"a", "--"}},
		{"indented dashes", "a\n  ---\nb", []string{"a\n  ---\nb"}},
		{"trailing separator", "a\n---\n", []string{"a", ""}},
		{"carriage returns", "a\r\n---\r\nb", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(helmSeparator.Split(tt.in, -1), tt.want); diff != "" {
				t.Fatalf("the table disagrees with Helm's expression (-helm +table):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, splitSeparators(tt.in)); diff != "" {
				t.Errorf("splitSeparators(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// FuzzSplitSeparators checks splitSeparators against Helm's expression.
func FuzzSplitSeparators(f *testing.F) {
	for _, s := range []string{"", "---", "a\n---\nb", " \n\t---\r\n-", "x----\n---\n\n---a", "\f\n---\v"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if diff := cmp.Diff(helmSeparator.Split(s, -1), splitSeparators(s)); diff != "" {
			t.Errorf("splitSeparators(%q) (-helm +got):\n%s", s, diff)
		}
	})
}

func TestSplitDocumentLines(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		docs  []string
		lines []int
	}{
		{"empty", "\n\n", nil, nil},
		{"one document after blank lines", "\n\n# c\na: 1\n", []string{"# c\na: 1"}, []int{3}},
		{"two documents", "a: 1\n---\nb: 2\n", []string{"a: 1", "b: 2"}, []int{1, 3}},
		{"leading separator and blank lines", "---\n\n\nkind: A\n---\n---\nkind: B", []string{"kind: A", "---\nkind: B"}, []int{4, 6}},
		{"same text twice", "a\nb\n---\nb\n---\nb", []string{"a\nb", "b", "b"}, []int{1, 4, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, lines := SplitDocumentLines(tt.in)
			if diff := cmp.Diff(SplitDocuments(tt.in), docs); diff != "" {
				t.Errorf("documents differ from SplitDocuments (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.docs, docs); diff != "" {
				t.Errorf("documents (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.lines, lines); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}
