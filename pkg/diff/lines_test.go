package diff

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// lcsLength is the length of a longest common subsequence, by dynamic
// programming: a shortest edit script has len(a)+len(b)-2*lcs edits.
func lcsLength(a, b []string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(cur[j], prev[j+1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func TestEditScriptIsShortestAndCorrect(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "c", "d"}
	for n := range 300 {
		a := make([]string, rng.IntN(20))
		b := make([]string, rng.IntN(20))
		for i := range a {
			a[i] = alphabet[rng.IntN(len(alphabet))]
		}
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		ops := editScript(a, b)
		var gotA, gotB []string
		edits := 0
		for _, op := range ops {
			switch op.kind {
			case opEqual:
				gotA, gotB = append(gotA, op.text), append(gotB, op.text)
			case opDelete:
				gotA = append(gotA, op.text)
				edits++
			case opInsert:
				gotB = append(gotB, op.text)
				edits++
			}
		}
		if strings.Join(gotA, ",") != strings.Join(a, ",") || strings.Join(gotB, ",") != strings.Join(b, ",") {
			t.Fatalf("case %d: script does not turn %q into %q: %v", n, a, b, ops)
		}
		if want := len(a) + len(b) - 2*lcsLength(a, b); edits != want {
			t.Fatalf("case %d: %d edits, want the minimum %d (a=%q b=%q)", n, edits, want, a, b)
		}
	}
}

// unified renders an edit script's hunks as diff -u's body.
func unified(a, b []string, context int) string {
	var sb strings.Builder
	t := &textWriter{w: &sb}
	writeHunks(t, &ObjectChange{before: a, after: b}, "a", "b", context)
	return sb.String()
}

func TestHunksMatchDiffU(t *testing.T) {
	diffBin, err := exec.LookPath("diff")
	if err != nil {
		t.Skip("no diff program to compare with")
	}
	lines := func(n int, f func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	base := lines(30, func(i int) string { return "line " + string(rune('A'+i%26)) + strings.Repeat("x", i) })
	change := func(src []string, at map[int]string) []string {
		out := append([]string(nil), src...)
		for i, s := range at {
			out[i] = s
		}
		return out
	}
	tests := []struct {
		name    string
		a, b    []string
		context int
	}{
		{"one line changed", base, change(base, map[int]string{10: "changed"}), 3},
		{"two distant changes make two hunks", base, change(base, map[int]string{3: "x", 20: "y"}), 3},
		{"two close changes make one hunk", base, change(base, map[int]string{10: "x", 15: "y"}), 3},
		{"change at the start", base, change(base, map[int]string{0: "first"}), 3},
		{"change at the end", base, change(base, map[int]string{29: "last"}), 3},
		{"lines appended", base[:20], base, 3},
		{"lines removed from the middle", base, append(append([]string(nil), base[:10]...), base[15:]...), 3},
		{"no context", base, change(base, map[int]string{10: "x", 12: "y"}), 0},
		{"from nothing", nil, base[:5], 3},
		{"to nothing", base[:5], nil, 3},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fa, fb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			write := func(p string, l []string) {
				s := strings.Join(l, "\n")
				if len(l) > 0 {
					s += "\n"
				}
				if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write(fa, tt.a)
			write(fb, tt.b)
			out, _ := exec.Command(diffBin, "-U", strconv.Itoa(tt.context), "--label", "a", "--label", "b", fa, fb).Output()
			if diff := cmp.Diff(string(out), unified(tt.a, tt.b, tt.context)); diff != "" {
				t.Errorf("unified diff differs from diff -U%d (-diff +barge):\n%s", tt.context, diff)
			}
		})
	}
}
